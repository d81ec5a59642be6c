// The story of the domain modules issue over HTTP, one suite body run in memory mode and in broker mode: a user
// with a phone is billed, a card is declined, a good card pays, six notifications go out, analytics equals the
// log, a document goes up and comes back, and each request's correlation id follows every event it caused.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import type supertest from 'supertest';
import { MODULE_NAMES } from '../../src/config.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import { type BrokerEnv, brokerEnv, deleteBrokerObjects, OutsideConsumer, requireBroker, startBrokerApp } from '../broker/support/broker.js';
import { type SmtpSink, startSmtpSink } from '../notifications/smtpSink.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { makePng } from './support/png.js';

const MODES = [
  { name: 'memory', broker: false },
  { name: 'rabbitmq', broker: true },
] as const;

const countBy = (items: readonly string[]) => items.reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {});

for (const mode of MODES) {
  describe(`the story over HTTP (${mode.name} mode)`, function () {
    this.timeout(20_000);
    if (mode.broker) requireBroker();

    const run = randomUUID().slice(0, 8);
    const corr = (step: string) => `story-${mode.name}-${step}-${run}`;
    const answered: string[] = [];
    let t: TestApp;
    let env: BrokerEnv | undefined;
    let outside: OutsideConsumer | undefined;
    let smtp: SmtpSink;
    const s = {} as { user: any; bill: any; declined: any; paid: any; document: any; png: Buffer };

    before(async () => {
      // Mail goes over real SMTP to a server in this process, so the test reads what a mailbox would get.
      smtp = await startSmtpSink();
      if (!mode.broker) {
        t = await startTestApp({ SMTP_URL: smtp.url });
        return;
      }
      env = brokerEnv({ SMTP_URL: smtp.url });
      // Bound before paybus starts, so it sees the first event too.
      outside = await OutsideConsumer.bind(env.RABBITMQ_EXCHANGE);
      t = await startBrokerApp(env, MODULE_NAMES);
    });
    after(async () => {
      await t?.stop();
      await smtp?.close();
      await outside?.close();
      if (env) await deleteBrokerObjects(env, [], [`${env.RABBITMQ_EXCHANGE}.outside`]);
    });

    // Each step builds on the one before: after a failure the later steps would only repeat it.
    let broken = false;
    beforeEach(function () {
      if (broken) this.skip();
    });
    afterEach(function () {
      if (this.currentTest?.state === 'failed') broken = true;
    });

    /** Sends one request of the story with its own correlation id; no answer in the story may be a 5xx. */
    async function call(step: string, request: supertest.Test): Promise<supertest.Response> {
      const res = await request.set('X-Correlation-Id', corr(step));
      answered.push(`${step} → ${res.status}`);
      expect(res.status, `${step}: ${JSON.stringify(res.body)}`).to.be.below(500);
      return res;
    }

    /** The whole log, read through GET /events in small pages so the cursor is exercised. */
    async function readLog(): Promise<StoredEvent[]> {
      const log: StoredEvent[] = [];
      for (let after = 0; ; ) {
        const page = await call('read-log', t.http.get(`/events?after=${after}&limit=5`));
        expect(page.status).to.equal(200);
        if (page.body.items.length === 0) return log;
        log.push(...page.body.items);
        after = page.body.nextAfter;
      }
    }

    async function expectAnalyticsToEqualTheLog(): Promise<StoredEvent[]> {
      const log = await readLog();
      const summary = await call('analytics', t.http.get('/analytics/summary'));
      expect(summary.status).to.equal(200);
      expect(summary.body.totalEvents).to.equal(log.length);
      expect(summary.body.byType).to.deep.equal(countBy(log.map((e) => e.type)));
      return log;
    }

    it('when a user with a phone signs up, then they exist', async () => {
      const res = await call('signup', t.http.post('/users').send({ email: `ada-${run}@example.com`, name: 'Ada Lovelace', phone: '+15551234567' }));
      expect(res.status).to.equal(201);
      expect(res.headers['x-correlation-id']).to.equal(corr('signup'));
      s.user = res.body;
      expect((await call('get-user', t.http.get(`/users/${s.user.id}`))).body).to.deep.equal(s.user);
    });

    it('when they are billed, then the bill is pending', async () => {
      const body = { userId: s.user.id, amount: 4250, currency: 'EUR', dueDate: '2030-06-30', description: 'Electricity, June' };
      const res = await call('bill', t.http.post('/bills').send(body));
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ ...body, status: 'pending', paymentId: null, paidAt: null });
      s.bill = res.body;
    });

    it('when a declined card pays it, then the payment failed and the bill is payment_failed', async () => {
      const body = { billId: s.bill.id, amount: 4250, currency: 'EUR', source: 'tok_chargeDeclined' };
      const res = await call('declined', t.http.post('/payments').send(body));
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ billId: s.bill.id, userId: s.user.id, status: 'failed' });
      expect(res.body.failureReason).to.be.a('string').and.not.equal('');
      s.declined = res.body;
      await t.settle();
      expect((await call('bill-after-decline', t.http.get(`/bills/${s.bill.id}`))).body).to.include({ status: 'payment_failed', paymentId: null, paidAt: null });
    });

    it('when a good card pays it, then the bill is paid with that payment, and a replay of the request changes nothing', async () => {
      const body = { billId: s.bill.id, amount: 4250, currency: 'EUR', source: 'tok_visa' };
      const key = `pay-${run}`;
      const res = await call('paid', t.http.post('/payments').set('Idempotency-Key', key).send(body));
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ billId: s.bill.id, status: 'succeeded', failureReason: null });
      s.paid = res.body;
      await t.settle();
      const bill = (await call('bill-after-payment', t.http.get(`/bills/${s.bill.id}`))).body;
      expect(bill).to.include({ status: 'paid', paymentId: s.paid.id });
      expect(Date.parse(bill.paidAt)).to.be.a('number').and.not.NaN;

      const replay = await call('replay', t.http.post('/payments').set('Idempotency-Key', key).send(body));
      expect([replay.status, replay.body]).to.deep.equal([201, s.paid]);
      const again = await call('pay-again', t.http.post('/payments').send(body));
      expect(again.status).to.equal(409);
      await t.settle();
      expect((await call('payments-log', t.http.get('/events?type=payment.success'))).body.items).to.have.length(1);
    });

    it('then the user got exactly six notifications, each announced by a notification.sent caused by its event', async () => {
      const items = (await call('notifications', t.http.get(`/notifications?userId=${s.user.id}`))).body.items as any[];
      expect(items.map((n) => `${n.template}/${n.channel}/${n.recipient}`).sort()).to.deep.equal(
        ['bill.created', 'payment.failed', 'payment.success'].flatMap((tpl) => [`${tpl}/email/${s.user.email}`, `${tpl}/sms/${s.user.phone}`]),
      );
      const log = await readLog();
      const byId = new Map(log.map((e) => [e.id, e]));
      const sent = log.filter((e) => e.type === 'notification.sent');
      expect(sent).to.have.length(6);
      for (const n of items) {
        expect(n.status).to.equal('sent');
        expect(byId.get(n.eventId)?.type, `the event behind ${n.template}/${n.channel}`).to.equal(n.template);
        const event = sent.find((e) => e.payload.notificationId === n.id)!;
        expect(event.payload).to.include({ userId: s.user.id, channel: n.channel, template: n.template, causationEventId: n.eventId });
        expect(event.metadata.causationId).to.equal(n.eventId);
      }
      // What the user would see: three emails with readable subjects, three SMS to their phone.
      expect(smtp.messages.map((m) => m.to)).to.deep.equal([[s.user.email], [s.user.email], [s.user.email]]);
      expect(smtp.messages.map((m) => m.subject).sort()).to.deep.equal(['New bill: €42.50 due 2030-06-30', 'Payment failed: €42.50', 'Payment received: €42.50']);
      const sms = fs.readFileSync(t.app.config.smsLogPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(sms.map((m) => m.to)).to.deep.equal([s.user.phone, s.user.phone, s.user.phone]);
    });

    it('then the analytics summary counts exactly what the log holds, by type', async () => {
      const log = await expectAnalyticsToEqualTheLog();
      expect(countBy(log.map((e) => e.type))).to.deep.equal({
        'user.created': 1,
        'bill.created': 1,
        'payment.failed': 1,
        'payment.success': 1,
        'bill.paid': 1,
        'notification.sent': 6,
      });
    });

    it('when a receipt image is uploaded for the bill, then it comes back byte for byte with its type', async () => {
      s.png = makePng(24, 12, (x, y) => [x * 10, y * 20, 200]);
      const upload = t.http.post('/documents').field('userId', s.user.id).field('billId', s.bill.id).attach('file', s.png, { filename: 'receipt.png', contentType: 'image/png' });
      const res = await call('upload', upload);
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ userId: s.user.id, billId: s.bill.id, filename: 'receipt.png', contentType: 'image/png', size: s.png.length });
      expect(res.body.sha256).to.equal(createHash('sha256').update(s.png).digest('hex'));
      s.document = res.body;
      expect((await call('get-document', t.http.get(`/documents/${s.document.id}`))).body).to.deep.equal(s.document);
      const content = await call('download', t.http.get(`/documents/${s.document.id}/content`));
      expect(content.status).to.equal(200);
      expect(content.headers['content-type']).to.equal('image/png');
      // superagent hands image/* bodies over as a Buffer.
      expect(Buffer.isBuffer(content.body)).to.equal(true);
      expect(Buffer.compare(content.body as Buffer, s.png)).to.equal(0);
    });

    it("then each request's correlation id is on the events it caused and on the events those caused", async () => {
      await t.settle();
      const log = await expectAnalyticsToEqualTheLog();
      const byCorrelation: Record<string, string[]> = {};
      for (const e of log) (byCorrelation[e.metadata.correlationId] ??= []).push(e.type);
      for (const types of Object.values(byCorrelation)) types.sort();
      // Requests that changed nothing (reads, the replay, the 409) caused no event at all.
      expect(byCorrelation).to.deep.equal({
        [corr('signup')]: ['user.created'],
        [corr('bill')]: ['bill.created', 'notification.sent', 'notification.sent'],
        [corr('declined')]: ['notification.sent', 'notification.sent', 'payment.failed'],
        [corr('paid')]: ['bill.paid', 'notification.sent', 'notification.sent', 'payment.success'],
        [corr('upload')]: ['document.uploaded'],
      });
      const byId = new Map(log.map((e) => [e.id, e]));
      for (const e of log) {
        if (e.metadata.causationId === null) continue;
        const cause = byId.get(e.metadata.causationId);
        expect(cause, `the cause of ${e.type} ${e.id}`).to.not.equal(undefined);
        expect(cause!.metadata.correlationId).to.equal(e.metadata.correlationId);
      }
      const roots = log.filter((e) => e.metadata.causationId === null).map((e) => e.type);
      expect(roots).to.deep.equal(['user.created', 'bill.created', 'payment.failed', 'payment.success', 'document.uploaded']);
      const paid = log.find((e) => e.type === 'bill.paid')!;
      expect(byId.get(paid.metadata.causationId!)).to.include({ type: 'payment.success', aggregateId: s.paid.id });
    });

    if (mode.broker) {
      it('then a program bound to the exchange received every event of the log, as logged', async () => {
        const log = await readLog();
        await outside!.waitForIds(log.map((e) => e.id));
        const logged = new Set(log.map((e) => e.id));
        expect(outside!.ids().filter((id) => !logged.has(id)), 'messages that are not in the log').to.deep.equal([]);
        for (const { position: _position, ...envelope } of log) {
          const m = outside!.messages.find((x) => x.properties.messageId === envelope.id)!;
          expect(JSON.parse(m.content.toString('utf8'))).to.deep.equal(envelope);
          expect(m.fields.routingKey).to.equal(envelope.type);
          expect(m.properties).to.include({ type: envelope.type, correlationId: envelope.metadata.correlationId, contentType: 'application/json' });
        }
      });
    }

    it('then no answer in the whole story was a 5xx', () => {
      expect(answered.filter((a) => /→ 5\d\d$/.test(a))).to.deep.equal([]);
      expect(answered.length).to.be.above(20);
    });
  });
}
