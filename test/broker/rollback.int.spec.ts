// An error that ends SQLite's whole transaction (here a trigger's RAISE(ROLLBACK)) inside a batch: the batch must
// not commit anything on the side, the message that causes it ends as a dead letter after its attempts, and every
// other message is handled once, in broker mode (module queue) and in memory mode (shared turn).
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { ModuleName } from '../../src/config.js';
import { createBillCreatedEvent, createUserCreatedEvent } from '../../src/events/catalog.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { ModuleDefinition } from '../../src/runtime/module.js';
import { startAppIn, tempDir, testConfig } from '../support/testApp.js';
import { backlogQueue, type BrokerEnv, brokerEnv, deleteBrokerObjects, requireBroker, startBrokerApp, waitUntil } from './support/broker.js';

const NAME = 'rollbacky';
const COUNT = 40;
const POISON = 7;

/** r1 writes a row a trigger refuses for the poison bill; r2, after it, emits user.created for every bill. */
function rollbackModule(poisonBill: () => string, runs: Map<string, number>): ModuleDefinition {
  return {
    name: NAME as ModuleName,
    migrations: [
      {
        id: '001',
        sql: `CREATE TABLE ${NAME}_rows (bill_id TEXT NOT NULL);
              CREATE TABLE ${NAME}_poison (bill_id TEXT NOT NULL);
              CREATE TRIGGER ${NAME}_refuse BEFORE INSERT ON ${NAME}_rows
              WHEN NEW.bill_id IN (SELECT bill_id FROM ${NAME}_poison) BEGIN SELECT RAISE(ROLLBACK, 'refused by trigger'); END;`,
      },
    ],
    create: ({ db }) => {
      const row = db.prepare(`INSERT INTO ${NAME}_rows (bill_id) VALUES (?)`);
      db.prepare(`INSERT INTO ${NAME}_poison (bill_id) VALUES (?)`).run(poisonBill());
      return {
        reactions: [
          {
            name: `${NAME}.r1`,
            types: ['bill.created'],
            handle: (event, ctx) => {
              runs.set(event.aggregateId, (runs.get(event.aggregateId) ?? 0) + 1);
              ctx.commit(() => row.run(event.aggregateId));
            },
          },
          {
            name: `${NAME}.r2`,
            types: ['bill.created'],
            handle: (event, ctx) => void ctx.commit((uow) => uow.append([createUserCreatedEvent(randomUUID(), `${event.aggregateId}@rollback.test`, 'R', null)], { expectedVersion: 0 })),
          },
        ],
      };
    },
  };
}

function bills(): EventEnvelope[] {
  return Array.from({ length: COUNT }, (_, i) => createBillCreatedEvent(randomUUID(), randomUUID(), 100 + i, 'EUR', '2030-01-31', null));
}

function expectOutcome(db: import('../../src/db/openDatabase.js').Db, events: EventEnvelope[], runs: Map<string, number>, letters: { subscriber: string; eventId: string; attempts: number }[]) {
  const poison = events[POISON]!;
  const rows = db.prepare(`SELECT bill_id FROM ${NAME}_rows`).pluck().all() as string[];
  expect(new Set(rows)).to.deep.equal(new Set(events.filter((e) => e !== poison).map((e) => e.aggregateId)));
  expect(rows).to.have.length(COUNT - 1);
  // Once in the batch (whose transaction is then gone, so that run counts for nothing), then its 3 attempts.
  expect(runs.get(poison.aggregateId)).to.equal(4);
  expect(letters.map((l) => [l.subscriber, l.eventId, l.attempts])).to.deep.equal([[`${NAME}.r1`, poison.id, 3]]);
  // r2 ran once per bill, the poison one included: exactly one user.created each, all in the log.
  const users = db.prepare(`SELECT COUNT(*) FROM events WHERE type = 'user.created'`).pluck().get();
  expect(users).to.equal(COUNT);
}

describe('a batch whose transaction SQLite rolls back', function () {
  this.timeout(30_000);

  describe('in broker mode', () => {
    requireBroker();
    let env: BrokerEnv;
    beforeEach(() => (env = brokerEnv()));
    afterEach(() => deleteBrokerObjects(env, [NAME]));

    it('dead-letters the message that caused it after its attempts and handles every other one once', async () => {
      const events = bills();
      const runs = new Map<string, number>();
      const module = rollbackModule(() => events[POISON]!.aggregateId, runs);
      const { queue, channel: ch, close } = await backlogQueue(env, module, events);
      runs.clear(); // the first start, which declared the queue, handled nothing
      try {
        const { app, settle, stop } = await startBrokerApp(env, [], [module]);
        try {
          await waitUntil(() => app.processor.deadLetters.find({}).length === 1 && (app.db.prepare(`SELECT COUNT(*) FROM ${NAME}_rows`).pluck().get() as number) === COUNT - 1, 20_000, 'the batch');
          await settle();
          expectOutcome(app.db, events, runs, app.processor.deadLetters.find({}));
        } finally {
          await stop();
        }
        expect((await ch.checkQueue(queue)).messageCount).to.equal(0);
      } finally {
        await close();
      }
    });
  });

  describe('in memory mode', () => {
    it('dead-letters the event that caused it after its attempts, and what the others emitted is delivered', async () => {
      const events = bills();
      const runs = new Map<string, number>();
      const dir = tempDir();
      const delivered: string[] = [];
      const { app, settle, stop } = await startAppIn(dir, { ...testConfig({}, dir), modules: [] }, { extraModules: [rollbackModule(() => events[POISON]!.aggregateId, runs)] });
      try {
        app.bus.subscribe('user.created', (e: EventEnvelope) => void delivered.push(e.id));
        // One commit: every reaction gets all of them in the same turn.
        app.host.commit((uow) => uow.append(events));
        await settle();
        expectOutcome(app.db, events, runs, app.processor.deadLetters.find({}));
        const logged = app.db.prepare(`SELECT id FROM events WHERE type = 'user.created'`).pluck().all() as string[];
        expect(new Set(delivered)).to.deep.equal(new Set(logged));
      } finally {
        await stop();
      }
    });
  });
});
