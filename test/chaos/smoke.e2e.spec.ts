// `npm run chaos` in small: the quickest scenario (race) against a real paybus process and the real broker, and the
// bad-input scenario with auth on.
import { expect } from 'chai';
import { badInputWithAuth } from '../../scripts/chaos/scenarios/badInput.js';
import { race } from '../../scripts/chaos/scenarios/race.js';
import { requireBroker } from '../broker/support/broker.js';
import { onPostgres } from '../support/testStorage.js';

describe('chaos suite: smoke run of the race scenario', function () {
  this.timeout(120_000);
  requireBroker();

  it('reports one charge per bill, no lost update, nothing lost and nothing twice', async () => {
    const result = await race.run({ quick: true, storage: onPostgres ? 'postgres' : 'sqlite', log: () => {} });
    expect(result.notes.join('\n')).to.not.match(/without exactly one winning payment|lost update/);
    expect(result).to.include({ lost: 0, duplicateEffects: 0, doubleCharges: 0, ok: true });
    expect(result.eventsLogged).to.be.greaterThan(0);
    expect(result.eventsDelivered).to.equal(result.eventsLogged);
  });

  it('with auth on, answers every bad request, bad credentials included, with a 4xx problem and changes nothing', async () => {
    const result = await badInputWithAuth.run({ quick: true, storage: onPostgres ? 'postgres' : 'sqlite', log: () => {} });
    expect(result.notes.join('\n')).to.match(/×401/).and.match(/×403/).and.not.match(/improper answers|×5\d\d/);
    expect(result).to.include({ ok: true, lost: 0 });
  });
});
