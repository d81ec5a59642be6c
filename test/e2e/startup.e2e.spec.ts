// What an operator sees when paybus cannot serve: found walking the README tour, where a second paybus on a
// port already in use logged "paybus listening on …" and then ran on without HTTP (broker mode) or exited 0.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { tempDir } from '../support/testApp.js';
import { databaseEnv } from '../support/testStorage.js';

function runMain(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.resolve('src/main.ts')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => proc.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('starting paybus on a port that is taken', function () {
  this.timeout(20_000);
  let busy: net.Server;
  before(async () => {
    busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, resolve));
  });
  after(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it('stops with exit code 1 and one line naming the cause, and never claims to listen', async () => {
    const { port } = busy.address() as net.AddressInfo;
    const dir = tempDir();
    const { code, stdout, stderr } = await runMain({ PORT: String(port), ...databaseEnv(dir, path.join(dir, 'paybus.db')), EVENT_TRANSPORT: 'memory', LOG_LEVEL: 'info' });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(stdout).to.not.contain('paybus listening');
    expect(stderr.trim()).to.match(new RegExp(`^paybus: failed to start: .*EADDRINUSE.*${port}$`));
    expect(code).to.equal(1);
  });
});
