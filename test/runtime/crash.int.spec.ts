import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { expect } from 'chai';
import { createApp } from '../../src/createApp.js';
import { tempDir, testConfig } from '../support/testApp.js';
import { probeEffects, probeModule } from '../support/testModule.js';

function runChild(dir: string): Promise<{ stdout: string; signal: string | null }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'test/support/crashChild.ts', dir], (error, stdout) => {
      resolve({ stdout, signal: (error as { signal?: string } | null)?.signal ?? null });
    });
  });
}

describe('crash: SIGKILL between commit and delivery', () => {
  it('hands the committed event to its subscriber exactly once after restart', async function () {
    this.timeout(60000);
    const dir = tempDir();
    try {
      const child = await runChild(dir);
      expect(child.signal).to.equal('SIGKILL');
      const eventId = child.stdout.trim();

      // The event is in the log, but the subscriber never saw it.
      for (let restart = 0; restart < 2; restart++) {
        const app = createApp(testConfig({ MODULES: 'users' }, dir), { extraModules: [probeModule(['user.created'])] });
        if (restart === 0) expect(probeEffects(app.db)).to.deep.equal([]);
        await app.start();
        await app.host.idle();
        const effects = probeEffects(app.db);
        const logged = app.store.readAll().map((e) => e.id);
        await app.stop();
        expect(logged).to.deep.equal([eventId]);
        expect(effects.map((e) => e.event_id)).to.deep.equal([eventId]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
