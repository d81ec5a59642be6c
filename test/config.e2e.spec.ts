// `npm start` as an operator runs it: a bad variable stops it with one line; a good config starts and SIGTERM ends it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { tempDir } from './support/testApp.js';
import { databaseEnv, dropSchema, onPostgres, schemaFor } from './support/testStorage.js';

function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, ...env } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('paybus listening')) child.kill('SIGTERM');
    });
    // 'close', not 'exit': exit can fire before the last stdout chunk has been read.
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

describe('config: starting paybus', () => {
  it('stops `npm start` with one clear line for a bad variable', async function () {
    this.timeout(30000);
    const run = await runMain({ EVENT_TRANSPORT: 'carrier-pigeon' });
    expect(run.code).to.equal(1);
    expect(run.stderr.trim().split('\n')).to.have.length(1);
    expect(run.stderr).to.match(/^paybus: invalid EVENT_TRANSPORT/);
  });

  it('starts, then exits 0 on SIGTERM', async function () {
    this.timeout(30000);
    const dir = tempDir();
    try {
      const run = await runMain({ PORT: '0', ...databaseEnv(dir, path.join(dir, 'p.db')), LOG_LEVEL: 'info' });
      expect(run.stdout).to.include('paybus listening');
      expect(run.stdout).to.include('shutting down');
      expect(run.code).to.equal(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      if (onPostgres) await dropSchema(schemaFor(dir));
    }
  });
});
