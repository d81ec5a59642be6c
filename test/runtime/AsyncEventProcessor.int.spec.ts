// The processor's retries, dead letters and turns, through the module host in memory mode: effectful reactions go
// through it from their first attempt; transactional ones make their first attempt in the batch runner's
// transaction and come to the processor only when it failed (or when the subscriber is busy).
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { ModuleDefinition, TransactionalReaction } from '../../src/runtime/module.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { probeEffects, probeModule } from '../support/testModule.js';
import { onPostgres } from '../support/testStorage.js';

/** Resolves once `condition` holds, looking at every turn of the event loop (the test's timeout is the limit). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

const userEvent = (name: string) => createUserCreatedEvent(randomUUID(), `${randomUUID()}@x.test`, name, null);

/** Every event under one ordering key: they must be handled strictly one after another. */
const oneKey = { orderingKey: () => 'one' };

/** A database-only reaction: writes its effect, then behaves as the test says (a throw undoes the effect). */
function transactionalProbe(behaviour: (event: EventEnvelope, attempt: number) => void | Promise<void>, options: { orderingKey?(event: EventEnvelope): string } = {}): ModuleDefinition {
  let seq = 0;
  const reaction: TransactionalReaction = {
    name: 'probe.transactional',
    types: ['user.created'],
    ...options,
    async apply(event, { tx }, { attempt }) {
      await tx.run('INSERT INTO probe_tx_effects (seq, event_id, attempt) VALUES (?, ?, ?)', [++seq, event.id, attempt]);
      await behaviour(event, attempt);
    },
  };
  return {
    name: 'analytics',
    migrations: [{ id: '001', sql: 'CREATE TABLE probe_tx_effects (seq INTEGER NOT NULL, event_id TEXT NOT NULL, attempt INTEGER NOT NULL)' }],
    create: () => ({ reactions: [reaction] }),
  };
}

describe('AsyncEventProcessor through the module host (memory mode)', () => {
  let t: TestApp;
  afterEach(async () => t && (await t.stop()));

  const append = (event: EventEnvelope) => t.app.host.commit((uow) => uow.append([event]));
  const txEffects = () => t.app.storage.all<{ event_id: string; attempt: number }>('SELECT event_id, attempt FROM probe_tx_effects ORDER BY seq');
  const start = async (module: ModuleDefinition) => {
    t = await startTestApp({ MODULES: 'users', RETRY_ATTEMPTS: '4' }, { extraModules: [module] });
  };
  const startWith = (behaviour: Parameters<typeof probeModule>[1], options?: Parameters<typeof probeModule>[2]) => start(probeModule(['user.created'], behaviour, options));

  describe('an effectful reaction', () => {
    it('retries a handler that fails twice, then records one effect', async () => {
      const failures = new Map<string, number>();
      await startWith((event) => {
        const n = failures.get(event.id) ?? 0;
        if (n < 2) {
          failures.set(event.id, n + 1);
          throw new Error(`transient ${n + 1}`);
        }
      });
      const event = userEvent('flaky');
      await append(event);
      await t.settle();
      expect(await probeEffects(t.app.storage)).to.deep.equal([{ event_id: event.id, attempt: 3 }]);
      expect(await t.app.deadLetters.find()).to.deep.equal([]);
    });

    it('dead-letters after exactly RETRY_ATTEMPTS tries and goes on with the next event', async () => {
      let tries = 0;
      await startWith((event) => {
        if (event.payload.name === 'poison') {
          tries++;
          throw new Error('always fails');
        }
      });
      const poison = userEvent('poison');
      const next = userEvent('fine');
      await append(poison);
      await append(next);
      await t.settle();
      expect(tries).to.equal(4);
      const letters = await t.app.deadLetters.find();
      expect(letters).to.have.length(1);
      expect(letters[0]).to.include({ subscriber: 'probe.reaction', eventId: poison.id, eventType: 'user.created', error: 'always fails', attempts: 4 });
      expect((await probeEffects(t.app.storage)).map((e) => e.event_id)).to.deep.equal([next.id]);
    });

    it('runs a dead letter again on retry: a failure keeps it with one more attempt, a success removes it', async () => {
      let healthy = false;
      await startWith(() => {
        if (!healthy) throw new Error('down');
      });
      const event = userEvent('later');
      await append(event);
      await t.settle();
      const [letter] = await t.app.deadLetters.find();
      expect(await t.app.processor.retryDeadLetter(letter!.id)).to.equal('failed');
      expect((await t.app.deadLetters.get(letter!.id))?.attempts).to.equal(5);
      healthy = true;
      expect(await t.app.processor.retryDeadLetter(letter!.id)).to.equal('handled');
      expect(await t.app.deadLetters.find()).to.deep.equal([]);
      expect((await probeEffects(t.app.storage)).map((e) => e.event_id)).to.deep.equal([event.id]);
    });

    it('discards a dead letter without running it', async () => {
      let runs = 0;
      await startWith(() => {
        runs++;
        throw new Error('nope');
      });
      await append(userEvent('x'));
      await t.settle();
      expect(runs).to.equal(4);
      const [letter] = await t.app.deadLetters.find();
      await t.app.processor.discardDeadLetter(letter!.id);
      expect(await t.app.deadLetters.find()).to.deep.equal([]);
      expect(runs).to.equal(4);
      const again = await t.app.processor.discardDeadLetter(letter!.id).then(
        () => 'discarded twice',
        (error: Error) => error.message,
      );
      expect(again).to.match(/no dead letter/);
    });

    it('handles the events of one key one after another in log order, and other keys side by side', async () => {
      const inFlight = new Map<string, number>();
      let maxPerKey = 0;
      const order: Record<string, string[]> = { a: [], b: [] };
      let bStarted!: () => void;
      const bHasStarted = new Promise<void>((resolve) => (bStarted = resolve));
      await startWith(
        async (event) => {
          const key = String(event.payload.name).slice(0, 1);
          inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
          maxPerKey = Math.max(maxPerKey, inFlight.get(key)!);
          if (key === 'b') bStarted();
          // The first of key a waits until key b has started: without side-by-side keys this would never end.
          if (event.payload.name === 'a0') await bHasStarted;
          await new Promise((r) => setTimeout(r, 2));
          order[key]!.push(String(event.payload.name));
          inFlight.set(key, inFlight.get(key)! - 1);
        },
        { orderingKey: (event) => String(event.payload.name).slice(0, 1) },
      );
      const events = ['a0', 'a1', 'b0', 'a2', 'b1', 'b2'].map(userEvent);
      for (const e of events) await append(e);
      await t.settle();
      expect(maxPerKey).to.equal(1);
      expect(order).to.deep.equal({ a: ['a0', 'a1', 'a2'], b: ['b0', 'b1', 'b2'] });
    });

    it('holds back only the later events of its own key while an event waits for its retry', async () => {
      const handled: string[] = [];
      let bDone!: () => void;
      const bIsDone = new Promise<void>((resolve) => (bDone = resolve));
      await startWith(
        async (event, ctx) => {
          const name = String(event.payload.name);
          if (name === 'a0' && ctx.attempt === 1) throw new Error('first attempt fails');
          // a0's retry waits until key b is done: were b held back behind a's retry, this would never end.
          if (name === 'a0') await bIsDone;
          handled.push(name);
          if (name === 'b1') bDone();
        },
        { orderingKey: (event) => String(event.payload.name).slice(0, 1) },
      );
      for (const name of ['a0', 'a1', 'b0', 'b1']) await append(userEvent(name));
      await t.settle();
      expect(handled).to.deep.equal(['b0', 'b1', 'a0', 'a1']);
      expect(await t.app.deadLetters.find()).to.deep.equal([]);
    });

    it('handles no more keys at once than SUBSCRIBER_CONCURRENCY allows', async () => {
      let inFlight = 0;
      let maxInFlight = 0;
      t = await startTestApp(
        { MODULES: 'users', SUBSCRIBER_CONCURRENCY: '2' },
        {
          extraModules: [
            probeModule(['user.created'], async () => {
              maxInFlight = Math.max(maxInFlight, ++inFlight);
              await new Promise((r) => setTimeout(r, 5));
              inFlight--;
            }),
          ],
        },
      );
      // Eight users (eight keys) in one commit: they reach the runner together, which takes two keys at a time.
      const users = Array.from({ length: 8 }, (_, i) => userEvent(`k${i}`));
      await t.app.host.commit((uow) => uow.append(users));
      await t.settle();
      expect(maxInFlight).to.equal(2);
      expect(await probeEffects(t.app.storage)).to.have.length(8);
    });

    it("runs a dead-letter retry in its key's turn, never beside an event of that key", async () => {
      let inFlight = 0;
      let maxInFlight = 0;
      let healthy = false;
      await startWith(async (event) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          await new Promise((r) => setTimeout(r, 20));
          if (event.payload.name === 'poison' && !healthy) throw new Error('not yet');
        } finally {
          inFlight--;
        }
      }, oneKey);
      await append(userEvent('poison'));
      await t.settle();
      const [letter] = await t.app.deadLetters.find();
      healthy = true;
      maxInFlight = 0;
      for (let i = 0; i < 3; i++) await append(userEvent(`slow${i}`));
      await new Promise((r) => setImmediate(r));
      const outcome = await t.app.processor.retryDeadLetter(letter!.id);
      await t.settle();
      expect(outcome).to.equal('handled');
      expect(maxInFlight).to.equal(1);
      expect(await probeEffects(t.app.storage)).to.have.length(4);
    });
  });

  describe('a transactional reaction (first attempts in the batch)', () => {
    it('resumes an event whose first attempt failed in the batch from attempt 2, undoing only that attempt', async () => {
      const attempts: [string, number][] = [];
      await start(
        transactionalProbe((event, attempt) => {
          attempts.push([String(event.payload.name), attempt]);
          if (event.payload.name === 'flaky' && attempt === 1) throw new Error('first attempt fails');
        }, oneKey),
      );
      const [a, flaky, c] = [userEvent('a'), userEvent('flaky'), userEvent('c')];
      // One after another, so the log has them in this order (on SQLite they still reach the runner as one batch).
      for (const event of [a, flaky, c]) await append(event);
      await t.settle();
      // a may run twice: the batch that held flaky's failed attempt was undone and ran again without it.
      const attemptsOf = (name: string) => [...new Set(attempts.filter(([n]) => n === name).map(([, attempt]) => attempt))];
      expect([attemptsOf('a'), attemptsOf('flaky'), attemptsOf('c')]).to.deep.equal([[1], [1, 2], [1]]);
      // One key: c waited for flaky's retry. Only committed writes stand, in log order.
      expect(attempts.findIndex(([n, attempt]) => n === 'flaky' && attempt === 2)).to.be.lessThan(attempts.findIndex(([n]) => n === 'c'));
      expect(await txEffects()).to.deep.equal([
        { event_id: a.id, attempt: 1 },
        { event_id: flaky.id, attempt: 2 },
        { event_id: c.id, attempt: 1 },
      ]);
      expect(await t.app.deadLetters.find()).to.deep.equal([]);
    });

    it('dead-letters after RETRY_ATTEMPTS tries counting the one in the batch, and goes on with the next event', async () => {
      const tries: number[] = [];
      await start(
        transactionalProbe((event, attempt) => {
          if (event.payload.name !== 'poison') return;
          tries.push(attempt);
          throw new Error('always fails');
        }),
      );
      const poison = userEvent('poison');
      const next = userEvent('fine');
      await append(poison);
      await append(next);
      await t.settle();
      expect(tries).to.deep.equal([1, 2, 3, 4]);
      const letters = await t.app.deadLetters.find();
      expect(letters).to.have.length(1);
      expect(letters[0]).to.include({ subscriber: 'probe.transactional', eventId: poison.id, error: 'always fails', attempts: 4 });
      expect(await txEffects()).to.deep.equal([{ event_id: next.id, attempt: 1 }]);
    });

    it('holds back an event of its key that comes while a dead-letter retry is in hand', async () => {
      let healthy = false;
      let retryInHand = false;
      const appliedDuringRetry: string[] = [];
      await start(
        transactionalProbe((event) => {
          if (retryInHand && event.payload.name !== 'poison') appliedDuringRetry.push(String(event.payload.name));
          if (event.payload.name === 'poison' && !healthy) throw new Error('not yet');
        }, oneKey),
      );
      const poison = userEvent('poison');
      await append(poison);
      await t.settle();
      const [letter] = await t.app.deadLetters.find();
      healthy = true;

      // `late` must reach the runner while the retry holds the subscriber's turn. On SQLite the feed takes it from
      // the bus: committed just before the retry is asked for, it is queued for the runner's next turn, which comes
      // after the retry has taken the subscriber's turn. On PostgreSQL the feed reads the log: commit it once the
      // retry holds the turn.
      const late = userEvent('late');
      if (!onPostgres) await append(late);
      retryInHand = true;
      const retry = t.app.processor.retryDeadLetter(letter!.id).finally(() => (retryInHand = false));
      const subscriber = t.app.host.subscribers.get('probe.transactional')!;
      await until(() => t.app.processor.busy(subscriber, late));
      if (onPostgres) await append(late);
      expect(await retry).to.equal('handled');
      await t.settle();
      expect(t.app.processor.busy(subscriber, late)).to.equal(false);
      expect(appliedDuringRetry).to.deep.equal([]);
      expect((await txEffects()).map((e) => e.event_id)).to.deep.equal([poison.id, late.id]);
    });
  });
});
