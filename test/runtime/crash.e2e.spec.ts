// A process killed between its commit and the delivery: the event is handed on exactly once after a restart.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { expect } from 'chai';
import { createApp } from '../../src/createApp.js';
import { tempDir, testConfig } from '../support/testApp.js';
import { probeEffects, probeModule } from '../support/testModule.js';
import { dropSchema, onPostgres, schemaFor } from '../support/testStorage.js';

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
      expect(eventId).to.match(/^[0-9a-f-]{36}$/);

      // The event is in the log, but the subscriber never saw it.
      for (let restart = 0; restart < 2; restart++) {
        const app = await createApp(testConfig({ MODULES: 'users' }, dir), { extraModules: [probeModule(['user.created'])] });
        try {
          if (restart === 0) expect(await probeEffects(app.storage)).to.deep.equal([]);
          await app.start();
          await app.host.idle();
          const effects = await probeEffects(app.storage);
          const logged = (await app.store.readAll()).map((e) => e.id);
          expect(logged).to.deep.equal([eventId]);
          expect(effects.map((e) => e.event_id)).to.deep.equal([eventId]);
        } finally {
          await app.stop();
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      if (onPostgres) await dropSchema(schemaFor(dir));
    }
  });
});
