// An error that ends SQLite's whole transaction (here a trigger's RAISE(ROLLBACK)) inside a batch: the batch must
// not commit anything on the side, the message that causes it ends as a dead letter after its attempts, and every
// other message is handled once, in broker mode (module queue) and in memory mode (one feed per reaction). SQLite
// only: on PostgreSQL an error inside a savepoint never ends the transaction around it.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { ModuleName } from '../../src/config.js';
import { createBillCreatedEvent, createUserCreatedEvent } from '../../src/events/catalog.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { ModuleDefinition, Reaction } from '../../src/runtime/module.js';
import type { DeadLetter } from '../../src/runtime/DeadLetters.js';
import type { Sql } from '../../src/storage/Storage.js';
import { startAppIn, tempDir, testConfig } from '../support/testApp.js';
import { onPostgres } from '../support/testStorage.js';
import { backlogQueue, type BrokerEnv, brokerEnv, deleteBrokerObjects, requireBroker, startBrokerApp, waitUntil } from './support/broker.js';

const NAME = 'rollbacky';
const COUNT = 40;
const POISON = 7;

/** Which of the two reactions the module registers first: the one whose write ends the transaction, or the other. */
const ORDERS = ['r1 first', 'r2 first'] as const;
type Order = (typeof ORDERS)[number];

/**
 * Two database-only reactions: r1 writes a row, which a trigger refuses (ending the whole transaction) for the
 * poison bill; r2 emits user.created for every bill. Registered in `order`: it decides which one's work runs first
 * in a shared transaction, so that the work the trigger undoes is the other one's too (r2 first) or not (r1 first).
 */
function rollbackModule(poisonBill: () => string, runs: Map<string, number>, order: Order): ModuleDefinition {
  return {
    name: NAME as ModuleName,
    migrations: [
      {
        id: '001',
        sql: `CREATE TABLE ${NAME}_rows (bill_id TEXT NOT NULL, poison INTEGER NOT NULL);
              CREATE TRIGGER ${NAME}_refuse BEFORE INSERT ON ${NAME}_rows
              WHEN NEW.poison = 1 BEGIN SELECT RAISE(ROLLBACK, 'refused by trigger'); END;`,
      },
    ],
    create: () => {
      const reactions: Reaction[] = [
        {
          name: `${NAME}.r1`,
          types: ['bill.created'],
          apply: async (event, { tx }) => {
            runs.set(event.aggregateId, (runs.get(event.aggregateId) ?? 0) + 1);
            await tx.run(`INSERT INTO ${NAME}_rows (bill_id, poison) VALUES (?, ?)`, [event.aggregateId, event.aggregateId === poisonBill() ? 1 : 0]);
          },
        },
        {
          name: `${NAME}.r2`,
          types: ['bill.created'],
          apply: async (event, uow) => void (await uow.append([createUserCreatedEvent(randomUUID(), `${event.aggregateId}@rollback.test`, 'R', null)], { expectedVersion: 0 })),
        },
      ];
      return { reactions: order === 'r1 first' ? reactions : reactions.reverse() };
    },
  };
}

function bills(): EventEnvelope[] {
  return Array.from({ length: COUNT }, (_, i) => createBillCreatedEvent(randomUUID(), randomUUID(), 100 + i, 'EUR', '2030-01-31', null));
}

async function expectOutcome(db: Sql, events: EventEnvelope[], runs: Map<string, number>, letters: DeadLetter[]): Promise<void> {
  const poison = events[POISON]!;
  const rows = (await db.all<{ bill_id: string }>(`SELECT bill_id FROM ${NAME}_rows`)).map((r) => r.bill_id);
  expect(new Set(rows)).to.deep.equal(new Set(events.filter((e) => e !== poison).map((e) => e.aggregateId)));
  expect(rows).to.have.length(COUNT - 1);
  // Its first attempt in the batch (which ended the batch's transaction: the batch ran again without it), then
  // attempts 2 and 3 on its own: 3 runs, as RETRY_ATTEMPTS says.
  expect(runs.get(poison.aggregateId)).to.equal(3);
  expect(letters.map((l) => [l.subscriber, l.eventId, l.attempts])).to.deep.equal([[`${NAME}.r1`, poison.id, 3]]);
  // r2 ran once per bill, the poison one included: exactly one user.created each, all in the log.
  const users = await db.value(`SELECT COUNT(*) FROM events WHERE type = 'user.created'`);
  expect(Number(users)).to.equal(COUNT);
}

describe('a batch whose transaction SQLite rolls back', function () {
  this.timeout(30_000);
  before(function () {
    if (onPostgres) this.skip(); // RAISE(ROLLBACK) is SQLite's; PostgreSQL has no error that escapes a savepoint
  });

  describe('in broker mode', () => {
    requireBroker();
    let env: BrokerEnv;
    beforeEach(() => (env = brokerEnv()));
    afterEach(() => deleteBrokerObjects(env, [NAME]));

    for (const order of ORDERS) {
      it(`dead-letters the message that caused it after its attempts and handles every other one once (${order})`, async () => {
        const events = bills();
        const runs = new Map<string, number>();
        const module = rollbackModule(() => events[POISON]!.aggregateId, runs, order);
        const { queue, channel: ch, close } = await backlogQueue(env, module, events);
        expect(runs.size, 'the start that declared the queue handled nothing').to.equal(0);
        try {
          const { app, settle, stop } = await startBrokerApp(env, [], [module]);
          try {
            await waitUntil(
              async () => (await app.deadLetters.find({})).length === 1 && Number(await app.storage.value(`SELECT COUNT(*) FROM ${NAME}_rows`)) === COUNT - 1,
              20_000,
              'the batch',
            );
            await settle();
            await expectOutcome(app.storage, events, runs, await app.deadLetters.find({}));
          } finally {
            await stop();
          }
          expect((await ch.checkQueue(queue)).messageCount).to.equal(0);
        } finally {
          await close();
        }
      });
    }
  });

  describe('in memory mode', () => {
    for (const order of ORDERS) {
      it(`dead-letters the event that caused it after its attempts, and what the others emitted is delivered (${order})`, async () => {
        const events = bills();
        const runs = new Map<string, number>();
        const dir = tempDir();
        const delivered: string[] = [];
        const { app, settle, stop } = await startAppIn(dir, { ...testConfig({}, dir), modules: [] }, { extraModules: [rollbackModule(() => events[POISON]!.aggregateId, runs, order)] });
        try {
          app.bus.subscribe('user.created', (e: EventEnvelope) => void delivered.push(e.id));
          // One commit: each reaction's feed gets all of them in the same turn, so each has one batch, and the two
          // batches share one SQLite transaction (a group commit).
          await app.host.commit((uow) => uow.append(events));
          await settle();
          await expectOutcome(app.storage, events, runs, await app.deadLetters.find({}));
          // What r2 emitted in the batch that was undone was never delivered; what it emitted again was, once.
          const logged = (await app.storage.all<{ id: string }>(`SELECT id FROM events WHERE type = 'user.created'`)).map((r) => r.id);
          expect(delivered).to.have.length(COUNT);
          expect(new Set(delivered)).to.deep.equal(new Set(logged));
        } finally {
          await stop();
        }
      });
    }
  });
});
