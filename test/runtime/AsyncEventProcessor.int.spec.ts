import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { probeEffects, probeModule } from '../support/testModule.js';

describe('AsyncEventProcessor through the module host (memory mode)', () => {
  let t: TestApp;
  afterEach(async () => t && (await t.stop()));

  const userEvent = (name: string) => createUserCreatedEvent(randomUUID(), `${randomUUID()}@x.test`, name, null);
  const append = (event: EventEnvelope) => t.app.host.commit((uow) => uow.append([event]));

  async function startWith(behaviour: Parameters<typeof probeModule>[1], env: Record<string, string> = {}) {
    t = await startTestApp({ MODULES: 'users', RETRY_ATTEMPTS: '4', ...env }, { extraModules: [probeModule(['user.created'], behaviour)] });
  }

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
    append(event);
    await t.settle();
    expect(probeEffects(t.app.db)).to.deep.equal([{ event_id: event.id, attempt: 3 }]);
    expect(t.app.deadLetters.find()).to.deep.equal([]);
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
    append(poison);
    append(next);
    await t.settle();
    expect(tries).to.equal(4);
    const letters = t.app.deadLetters.find();
    expect(letters).to.have.length(1);
    expect(letters[0]).to.include({ subscriber: 'probe.reaction', eventId: poison.id, eventType: 'user.created', error: 'always fails', attempts: 4 });
    expect(probeEffects(t.app.db).map((e) => e.event_id)).to.deep.equal([next.id]);
  });

  it('runs a dead letter again on retry: a failure keeps it with one more attempt, a success removes it', async () => {
    let healthy = false;
    await startWith(() => {
      if (!healthy) throw new Error('down');
    });
    const event = userEvent('later');
    append(event);
    await t.settle();
    const [letter] = t.app.deadLetters.find();
    expect(await t.app.processor.retryDeadLetter(letter!.id)).to.equal('failed');
    expect(t.app.deadLetters.get(letter!.id)?.attempts).to.equal(5);
    healthy = true;
    expect(await t.app.processor.retryDeadLetter(letter!.id)).to.equal('handled');
    expect(t.app.deadLetters.find()).to.deep.equal([]);
    expect(probeEffects(t.app.db).map((e) => e.event_id)).to.deep.equal([event.id]);
  });

  it('discards a dead letter without running it', async () => {
    await startWith(() => {
      throw new Error('nope');
    });
    append(userEvent('x'));
    await t.settle();
    const [letter] = t.app.deadLetters.find();
    t.app.processor.discardDeadLetter(letter!.id);
    expect(t.app.deadLetters.find()).to.deep.equal([]);
    expect(() => t.app.processor.discardDeadLetter(letter!.id)).to.throw(/no dead letter/);
  });

  it('handles events one at a time, in log order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const order: string[] = [];
    await startWith(async (event) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      order.push(event.id);
      inFlight--;
    });
    const events = Array.from({ length: 10 }, (_, i) => userEvent(`n${i}`));
    for (const e of events) append(e);
    await t.settle();
    expect(maxInFlight).to.equal(1);
    expect(order).to.deep.equal(events.map((e) => e.id));
  });

  it('runs a dead-letter retry in the subscriber\'s turn, never beside the event it is handling', async () => {
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
    });
    append(userEvent('poison'));
    await t.settle();
    const [letter] = t.app.deadLetters.find();
    healthy = true;
    maxInFlight = 0;
    for (let i = 0; i < 3; i++) append(userEvent(`slow${i}`));
    await new Promise((r) => setImmediate(r));
    const outcome = await t.app.processor.retryDeadLetter(letter!.id);
    await t.settle();
    expect(outcome).to.equal('handled');
    expect(maxInFlight).to.equal(1);
    expect(probeEffects(t.app.db)).to.have.length(4);
  });
});
