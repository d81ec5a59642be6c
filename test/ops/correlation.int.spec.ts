import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { captureLog } from '../support/captureLog.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { opsProbeModule, probeControl } from './support/opsProbe.js';

interface Envelope {
  id: string;
  type: string;
  version: number;
  metadata: { correlationId: string; causationId: string | null };
  payload: Record<string, unknown>;
}

describe('correlation through events and logs', () => {
  let t: TestApp;
  afterEach(async () => t && (await t.stop()));

  it('gives every event a request causes, and every event those cause, the request correlation id and the causing event id', async () => {
    t = await startTestApp({ MODULES: 'users' }, { extraModules: [opsProbeModule(probeControl())] });
    const correlationId = `req-${randomUUID()}`;
    const res = await t.http.post('/users').set('X-Correlation-Id', correlationId).send({ email: 'chain@corr.test', name: 'Chain' }).expect(201);
    expect(res.headers['x-correlation-id']).to.equal(correlationId);
    await t.settle();
    const stream = (await t.http.get(`/events?aggregateId=${res.body.id}`).expect(200)).body.items as Envelope[];
    expect(stream.map((e) => [e.type, e.version])).to.deep.equal([['user.created', 1], ['user.updated', 2], ['user.updated', 3]]);
    expect(stream.map((e) => e.metadata.correlationId)).to.deep.equal([correlationId, correlationId, correlationId]);
    // The request itself has no event id: the first event's causation is null, each later one names its cause.
    expect(stream.map((e) => e.metadata.causationId)).to.deep.equal([null, stream[0]!.id, stream[1]!.id]);
  });

  it('generates a correlation id for a request without one and returns it', async () => {
    t = await startTestApp({ MODULES: 'users' });
    const res = await t.http.post('/users').set('X-Correlation-Id', 'bad id with spaces').send({ email: 'gen@corr.test', name: 'Gen' }).expect(201);
    const id = res.headers['x-correlation-id'];
    expect(id).to.match(/^[0-9a-f-]{36}$/);
    const [event] = (await t.http.get(`/events?aggregateId=${res.body.id}`).expect(200)).body.items as Envelope[];
    expect(event!.metadata.correlationId).to.equal(id);
  });

  it('puts eventId, eventType and correlationId on every log line about handling an event', async () => {
    const { lines, log } = captureLog();
    t = await startTestApp({ MODULES: 'users', RETRY_ATTEMPTS: '2' }, { log, extraModules: [opsProbeModule(probeControl())] });
    const correlationId = `logs-${randomUUID()}`;
    for (const name of ['Plain', 'flaky one', 'poison pill']) {
      await t.http.post('/users').set('X-Correlation-Id', correlationId).send({ email: `${randomUUID()}@logs.test`, name }).expect(201);
    }
    await t.settle();
    const events = (await t.http.get('/events?limit=1000').expect(200)).body.items as Envelope[];
    const byId = new Map(events.map((e) => [e.id, e]));
    const aboutEvents = lines.filter((l) => 'subscriber' in l || 'eventId' in l);
    // The chain logs a step, flaky logs a retry, poison logs a retry and a dead letter, each handled event logs "probe handled".
    const messages = aboutEvents.map((l) => l.msg);
    expect(messages).to.include.members(['chain step', 'handler failed, will retry', 'handler failed on its last attempt; event dead-lettered', 'probe handled']);
    for (const line of aboutEvents) {
      const event = byId.get(line.eventId as string);
      expect(event, `log line ${JSON.stringify(line)} names a stored event`).to.not.equal(undefined);
      expect(line).to.include({ eventType: event!.type, correlationId: event!.metadata.correlationId });
      expect(line.correlationId).to.equal(correlationId);
    }
  });
});
