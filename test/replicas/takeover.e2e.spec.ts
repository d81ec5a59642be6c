// A replica killed while it holds a reaction: the other replica, running beside it, takes the reaction over once
// the dead one's lease has expired and handles what the dead one committed but never delivered.
import fs from 'node:fs';
import { expect } from 'chai';
import type { MemoryTransport } from '../../src/runtime/MemoryTransport.js';
import { waitUntil } from '../broker/support/broker.js';
import { spawnReplica } from './support/childReplica.js';
import { startAppIn, tempDir, testConfig } from '../support/testApp.js';
import { probeEffects, probeModule } from '../support/testModule.js';
import { dropSchema, onlyOnPostgres, schemaFor } from '../support/testStorage.js';

describe('a replica killed while it holds a reaction', function () {
  this.timeout(60_000);
  onlyOnPostgres();

  it('has the other replica take it over after the lease expired and handle the event the dead one left', async () => {
    const dir = tempDir();
    const { child, lines, exited } = spawnReplica('replicaChild.ts', dir, true);
    // The child first, holding the reaction; then the survivor beside it.
    const ready = await lines.next();
    const survivor = await startAppIn(dir, testConfig({ MODULES: 'users' }, dir), { extraModules: [probeModule(['user.created'])] }).catch((error) => {
      child.kill('SIGKILL');
      throw error;
    });
    try {
      expect(ready.value).to.equal('ready');
      const runsProbe = () => (survivor.app.transport as MemoryTransport).feeds.some((f) => f.subscriber.name === 'probe.reaction');
      expect(runsProbe(), 'the survivor stands by while the child holds the reaction').to.equal(false);
      child.stdin!.write('commit-and-die\n');
      const eventId = (await lines.next()).value as string;
      expect(await exited).to.equal('SIGKILL');
      const killedAt = Date.now();
      await waitUntil(runsProbe);
      const tookMs = Date.now() - killedAt;
      await survivor.settle();
      expect((await probeEffects(survivor.app.storage)).map((e) => e.event_id)).to.deep.equal([eventId]);
      // Not before the dead one's lease had expired: renewed every third of LEASE_TTL_MS, it outlives the kill by at
      // least two thirds of it (a standby that did not wait for expiry would take over within a fifth of it).
      expect(tookMs).to.be.at.least(survivor.app.config.leaseTtlMs / 2);
      console.log(`      took over ${tookMs} ms after the kill (LEASE_TTL_MS ${survivor.app.config.leaseTtlMs})`);
    } finally {
      child.kill('SIGKILL');
      await survivor.app.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      await dropSchema(schemaFor(dir));
    }
  });
});
