// NODE_ENV=production as main runs it: an unsafe setting stops the process with exit code 1 and one line.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { tempDir } from '../support/testApp.js';

const STRONG = 'a3f9c2e71b5d48f0a3f9c2e71b5d48f0';

function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // 'close', not 'exit': exit can fire before the last stderr chunk has been read.
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('security: production start checks (main)', () => {
  it('when main starts in production with guest/guest, then it exits 1 with one line naming the problem', async function () {
    this.timeout(30_000);
    const dir = tempDir();
    const { code, stderr } = await runMain({
      NODE_ENV: 'production',
      ADMIN_TOKEN: STRONG,
      EVENT_TRANSPORT: 'rabbitmq',
      RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
      DATABASE_PATH: path.join(dir, 'p.db'),
      PORT: '0',
    });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(code).to.equal(1);
    const lines = stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^paybus: unsafe RABBITMQ_USER: .*guest\/guest/);
  });
});
