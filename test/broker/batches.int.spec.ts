// A module queue's backlog is handled many messages to a transaction: what that must not change. Each step runs
// once per message in queue order, a commit that throws is undone alone and its message retried, a reaction that
// goes async holds back the messages after it, and every message ends acknowledged or dead-lettered.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { ModuleName } from '../../src/config.js';
import { createBillCreatedEvent } from '../../src/events/catalog.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { ModuleDefinition } from '../../src/runtime/module.js';
import { backlogQueue, type BrokerEnv, brokerEnv, deleteBrokerObjects, requireBroker, startBrokerApp, waitUntil } from './support/broker.js';

const NAME = 'batchy';
const COUNT = 120;
const FLAKY = 17; // its commit throws on the first attempt only
const POISON = 45; // throws on every attempt
const SLOW = 31; // the `later` reaction waits on a timer for this one

type Seen = { projected: string[]; syncRuns: string[]; asyncDone: string[] };

/** `later` is an async function when `alwaysAsync` (every batch stops at it), else sync but for one message. */
function batchModule(events: EventEnvelope[], seen: Seen, alwaysAsync: boolean): ModuleDefinition {
  const index = new Map(events.map((e, i) => [e.id, i]));
  return {
    name: NAME as ModuleName,
    migrations: [
      {
        id: '001',
        sql: `CREATE TABLE ${NAME}_bills (id TEXT PRIMARY KEY);
              CREATE TABLE ${NAME}_effects (event_id TEXT NOT NULL, attempt INTEGER NOT NULL);
              CREATE TABLE ${NAME}_async (event_id TEXT NOT NULL, saw_bill INTEGER NOT NULL);`,
      },
    ],
    create: ({ db }) => {
      const bill = db.prepare(`INSERT INTO ${NAME}_bills (id) VALUES (?)`);
      const effect = db.prepare(`INSERT INTO ${NAME}_effects (event_id, attempt) VALUES (?, ?)`);
      const asyncEffect = db.prepare(`INSERT INTO ${NAME}_async (event_id, saw_bill) VALUES (?, ?)`);
      const hasBill = db.prepare(`SELECT COUNT(*) FROM ${NAME}_bills WHERE id = ?`).pluck();
      return {
        projections: [
          {
            name: `${NAME}.bills`,
            types: ['bill.created'],
            tables: [`${NAME}_bills`],
            apply: (event) => {
              seen.projected.push(event.id);
              bill.run(event.aggregateId);
            },
          },
        ],
        reactions: [
          {
            name: `${NAME}.sync`,
            types: ['bill.created'],
            handle: (event, ctx) => {
              seen.syncRuns.push(event.id);
              const i = index.get(event.id)!;
              if (i === POISON) throw new Error(`refused ${i}`);
              ctx.commit(() => {
                effect.run(event.id, ctx.attempt);
                // Written, then undone with the commit that failed: the retry writes it again.
                if (i === FLAKY && ctx.attempt === 1) throw new Error(`refused ${i} mid-commit`);
              });
            },
          },
          {
            name: `${NAME}.later`,
            types: ['bill.created'],
            handle: (event, ctx) => {
              const done = () => {
                ctx.commit(() => asyncEffect.run(event.id, hasBill.get(event.aggregateId)));
                seen.asyncDone.push(event.id);
              };
              if (index.get(event.id) === SLOW) return new Promise((resolve) => setTimeout(resolve, 50)).then(done);
              return alwaysAsync ? Promise.resolve().then(done) : done();
            },
          },
        ],
      };
    },
  };
}

describe('a module queue handled in batches', function () {
  this.timeout(30_000);
  requireBroker();

  let env: BrokerEnv;
  beforeEach(() => (env = brokerEnv()));
  afterEach(() => deleteBrokerObjects(env, [NAME]));

  for (const alwaysAsync of [false, true]) {
    it(`runs each step once per message in queue order, retries a failed commit alone, and acknowledges everything (${alwaysAsync ? 'a reaction that is always async' : 'reactions that finish synchronously'})`, async () => {
      const events = Array.from({ length: COUNT }, (_, i) => createBillCreatedEvent(randomUUID(), randomUUID(), 100 + i, 'EUR', '2030-01-31', null));
      const seen = { projected: [] as string[], syncRuns: [] as string[], asyncDone: [] as string[] };
      const ids = events.map((e) => e.id);

      const { queue, channel: ch, close } = await backlogQueue(env, batchModule(events, seen, alwaysAsync), events);
      try {
        const { app, settle, stop } = await startBrokerApp(env, [], [batchModule(events, seen, alwaysAsync)]);
        try {
          await waitUntil(() => seen.asyncDone.length === COUNT, 20_000, 'every message');
          await settle();
          const db = app.db;

          expect(seen.projected).to.deep.equal(ids);
          expect(seen.asyncDone).to.deep.equal(ids);
          // The async reaction ran after the projection of the same message, even when its batch was cut short.
          expect(db.prepare(`SELECT COUNT(*) FROM ${NAME}_async WHERE saw_bill = 1`).pluck().get()).to.equal(COUNT);

          // One effect per message; the flaky one's first write was undone with its failed commit, so attempt 2 wrote it.
          const effects = db.prepare(`SELECT event_id AS id, attempt FROM ${NAME}_effects ORDER BY rowid`).all() as { id: string; attempt: number }[];
          expect(effects.map((e) => e.id)).to.deep.equal(ids.filter((_, i) => i !== POISON));
          expect(effects.filter((e) => e.attempt !== 1)).to.deep.equal([{ id: ids[FLAKY], attempt: 2 }]);
          // Attempts per message: the flaky one twice, the poison one three times (then a dead letter), the rest once.
          const runs = new Map<string, number>();
          for (const id of seen.syncRuns) runs.set(id, (runs.get(id) ?? 0) + 1);
          expect(ids.map((id) => runs.get(id))).to.deep.equal(ids.map((_, i) => (i === FLAKY ? 2 : i === POISON ? 3 : 1)));

          const letters = app.processor.deadLetters.find({});
          expect(letters.map((l) => [l.subscriber, l.eventId, l.attempts])).to.deep.equal([[`${NAME}.sync`, ids[POISON], 3]]);
        } finally {
          await stop();
        }
        // Nothing was left unacknowledged: a stopped consumer's unacked messages would be back in the queue now.
        expect((await ch.checkQueue(queue)).messageCount).to.equal(0);
        expect((await ch.checkQueue(`${queue}.dlq`)).messageCount).to.equal(0);
      } finally {
        await close();
      }
    });
  }
});
