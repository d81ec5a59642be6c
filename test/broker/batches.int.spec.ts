// A module queue's backlog is handled many messages to a transaction: what that must not change. Each step's effect
// commits once per message, in queue order; a handler that throws has its first attempt counted and is retried on
// its own while the rest of its batch commits (the batch runs again without it, so a database-only handler may run
// more than once, but only one run commits); a reaction that calls out runs after its batch's commit and holds
// back the messages after it; a message is acknowledged only once every step recorded it, and every message ends
// acknowledged or dead-lettered.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { ModuleName } from '../../src/config.js';
import { createBillCreatedEvent } from '../../src/events/catalog.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { ModuleDefinition, Reaction } from '../../src/runtime/module.js';
import type { Sql } from '../../src/storage/Storage.js';
import { backlogQueue, type BrokerEnv, brokerEnv, deleteBrokerObjects, queueCounts, requireBroker, startBrokerApp, waitUntil } from './support/broker.js';

const NAME = 'batchy';
const COUNT = 120;
const FLAKY = 17; // its write throws on the first attempt only
const POISON = 45; // throws on every attempt
const HELD = 31; // the reaction that calls out waits, on this message, until the test lets it go on

interface Seen {
  /** Message ids in the order each step ran on them (runs of a batch that was undone included). */
  projected: string[];
  /** Each run of the `sync` reaction: the message and the attempt it was. */
  syncRuns: [string, number][];
  laterStarted: string[];
  laterDone: string[];
  /** Messages whose projection has committed, and how many projections had run when that commit happened. */
  committedWith: Map<string, number>;
  /** Opens the gate the reaction that calls out waits at on message HELD. */
  release(): void;
  gate: Promise<void>;
}

function newSeen(): Seen {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { projected: [], syncRuns: [], laterStarted: [], laterDone: [], committedWith: new Map(), release, gate };
}

const seqColumn = { sqlite: 'seq INTEGER PRIMARY KEY AUTOINCREMENT', postgres: 'seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY' };
const tables = (seq: string) => `CREATE TABLE ${NAME}_bills (id TEXT PRIMARY KEY);
  CREATE TABLE ${NAME}_effects (${seq}, event_id TEXT NOT NULL, attempt INTEGER NOT NULL);
  CREATE TABLE ${NAME}_later (event_id TEXT NOT NULL, saw_bill INTEGER NOT NULL, after_commit INTEGER NOT NULL);`;

/** Every message under one ordering key, so the module handles them strictly in queue order (as one key would). */
const inQueueOrder = () => 'all';

/**
 * A projection and two reactions on bill.created, all ordered by one key. `sync` only writes the database; `later` too when `callsOut` is
 * false, else it is an EffectfulReaction (it awaits something outside, as a mail or a gateway would) and waits at
 * message HELD until the test opens the gate.
 */
function batchModule(events: EventEnvelope[], seen: Seen, callsOut: boolean): ModuleDefinition {
  const index = new Map(events.map((e, i) => [e.id, i]));
  const hasBill = (db: Sql, id: string) => db.value<number>(`SELECT COUNT(*) FROM ${NAME}_bills WHERE id = ?`, [id]).then(Number);
  return {
    name: NAME as ModuleName,
    migrations: [{ id: '001', sql: { sqlite: tables(seqColumn.sqlite), postgres: tables(seqColumn.postgres) } }],
    create: ({ db }) => {
      const later: Reaction = callsOut
        ? {
            name: `${NAME}.later`,
            types: ['bill.created'],
            orderingKey: inQueueOrder,
            handle: async (event, ctx) => {
              const afterCommit = seen.committedWith.has(event.id);
              seen.laterStarted.push(event.id);
              await (index.get(event.id) === HELD ? seen.gate : new Promise((resolve) => setImmediate(resolve)));
              const sawBill = await hasBill(db, event.aggregateId);
              await ctx.commit(({ tx }) => tx.run(`INSERT INTO ${NAME}_later (event_id, saw_bill, after_commit) VALUES (?, ?, ?)`, [event.id, sawBill, afterCommit ? 1 : 0]));
              seen.laterDone.push(event.id);
            },
          }
        : {
            name: `${NAME}.later`,
            types: ['bill.created'],
            orderingKey: inQueueOrder,
            apply: async (event, { tx }) => {
              seen.laterStarted.push(event.id);
              await tx.run(`INSERT INTO ${NAME}_later (event_id, saw_bill, after_commit) VALUES (?, ?, 0)`, [event.id, await hasBill(tx, event.aggregateId)]);
              tx.afterCommit(() => seen.laterDone.push(event.id));
            },
          };
      return {
        projections: [
          {
            name: `${NAME}.bills`,
            types: ['bill.created'],
            orderingKey: inQueueOrder,
            tables: [`${NAME}_bills`],
            apply: async (event, tx) => {
              seen.projected.push(event.id);
              await tx.run(`INSERT INTO ${NAME}_bills (id) VALUES (?)`, [event.aggregateId]);
              tx.afterCommit(() => seen.committedWith.set(event.id, seen.projected.length));
            },
          },
        ],
        reactions: [
          {
            name: `${NAME}.sync`,
            types: ['bill.created'],
            orderingKey: inQueueOrder,
            apply: async (event, { tx }, ctx) => {
              seen.syncRuns.push([event.id, ctx.attempt]);
              const i = index.get(event.id)!;
              if (i === POISON) throw new Error(`refused ${i}`);
              await tx.run(`INSERT INTO ${NAME}_effects (event_id, attempt) VALUES (?, ?)`, [event.id, ctx.attempt]);
              // Written, then undone with the savepoint of the attempt that failed: the retry writes it again.
              if (i === FLAKY && ctx.attempt === 1) throw new Error(`refused ${i} after writing`);
            },
          },
          later,
        ],
      };
    },
  };
}

/** Each id once, where it first appears: the order in which a step first ran on the messages. */
function firstRuns(ids: string[]): string[] {
  return [...new Set(ids)];
}

describe('a module queue handled in batches', function () {
  this.timeout(60_000);
  requireBroker();

  let env: BrokerEnv;
  beforeEach(() => (env = brokerEnv()));
  afterEach(() => deleteBrokerObjects(env, [NAME]));

  for (const callsOut of [false, true]) {
    it(`commits each step once per message in queue order, retries a failed handler alone, and acknowledges everything (${callsOut ? 'a reaction that calls out' : 'reactions that only write the database'})`, async () => {
      const events = Array.from({ length: COUNT }, (_, i) => createBillCreatedEvent(randomUUID(), randomUUID(), 100 + i, 'EUR', '2030-01-31', null));
      const ids = events.map((e) => e.id);
      const first = newSeen();
      const { queue, channel: ch, close } = await backlogQueue(env, batchModule(events, first, callsOut), events);
      expect(first.projected, 'the start that declared the queue handled nothing').to.deep.equal([]);
      const seen = newSeen();
      if (!callsOut) seen.release();
      try {
        const { app, settle, stop } = await startBrokerApp(env, [], [batchModule(events, seen, callsOut)]);
        try {
          if (callsOut) {
            // The reaction that calls out is held on message HELD: every message before it is recorded by every step
            // and acknowledged; HELD's other steps committed, but it is not acknowledged, nor is any message after it.
            await waitUntil(() => seen.laterStarted.includes(ids[HELD]!), 20_000, 'the held message');
            await waitUntil(async () => {
              const { ready, unacked } = await queueCounts(queue);
              return ready + unacked <= COUNT - HELD;
            }, 20_000, 'the acknowledgements of the messages before the held one');
            const { ready, unacked } = await queueCounts(queue);
            expect(COUNT - ready - unacked, 'messages acknowledged').to.equal(HELD);
            const later = await app.storage.all<{ event_id: string }>(`SELECT event_id FROM ${NAME}_later`);
            expect(new Set(later.map((r) => r.event_id))).to.deep.equal(new Set(ids.slice(0, HELD)));
            // The messages after HELD wait for it: not one of their steps has run.
            expect(firstRuns(seen.projected)).to.deep.equal(ids.slice(0, HELD + 1));
            seen.release();
          }
          await waitUntil(() => seen.laterDone.length === COUNT, 20_000, 'every message');
          await settle();
          const db = app.storage;

          // Each step first ran on the messages in queue order; every message's projection committed exactly once.
          expect(firstRuns(seen.projected)).to.deep.equal(ids);
          expect(firstRuns(seen.laterStarted)).to.deep.equal(ids);
          expect(seen.laterDone).to.deep.equal(ids);
          expect([...seen.committedWith.keys()]).to.deep.equal(ids);
          // `later` ran after the projection of the same message had written its bill; when it calls out, only
          // after that write had committed (and it saw it from outside the transaction).
          const laterRows = await db.all<{ saw_bill: number; after_commit: number }>(`SELECT saw_bill, after_commit FROM ${NAME}_later`);
          expect(laterRows.filter((r) => Number(r.saw_bill) === 1)).to.have.length(COUNT);
          if (callsOut) expect(laterRows.filter((r) => Number(r.after_commit) === 1)).to.have.length(COUNT);

          // One effect per message; the flaky one's first write was undone with its savepoint, so attempt 2 wrote it.
          const effects = await db.all<{ id: string; attempt: number }>(`SELECT event_id AS id, attempt FROM ${NAME}_effects ORDER BY seq`);
          expect(effects.map((e) => e.id)).to.deep.equal(ids.filter((_, i) => i !== POISON));
          expect(effects.filter((e) => Number(e.attempt) !== 1).map((e) => ({ id: e.id, attempt: Number(e.attempt) }))).to.deep.equal([{ id: ids[FLAKY], attempt: 2 }]);
          // Attempts per message: the flaky one 1 and 2, the poison one 1 to 3 (then a dead letter), the rest only 1.
          const attempts = new Map<string, Set<number>>();
          for (const [id, attempt] of seen.syncRuns) attempts.set(id, (attempts.get(id) ?? new Set()).add(attempt));
          expect(ids.map((id) => [...attempts.get(id)!].sort())).to.deep.equal(ids.map((_, i) => (i === FLAKY ? [1, 2] : i === POISON ? [1, 2, 3] : [1])));

          const letters = await app.deadLetters.find({});
          expect(letters.map((l) => [l.subscriber, l.eventId, l.attempts])).to.deep.equal([[`${NAME}.sync`, ids[POISON], 3]]);

          // Many messages to a transaction while every step only writes the database; one transaction each when a
          // step calls out, since what follows a call-out waits for it.
          const transactions = new Set(seen.committedWith.values()).size;
          if (callsOut) expect(transactions).to.equal(COUNT);
          else expect(transactions).to.be.below(COUNT / 2);
        } finally {
          seen.release();
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
