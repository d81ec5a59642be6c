import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { createBillCreatedEvent, createPaymentFailedEvent, createPaymentSuccessEvent, type DomainEvent } from '../../src/events/catalog.js';
import { startTestApp, tempDir, type TestApp } from '../support/testApp.js';
import { closedPort, type SmtpSink, startSmtpSink } from './smtpSink.js';

// Only the modules under test: notifications must work from events alone.
const MODULES = 'users,notifications';

async function emit<E extends DomainEvent>(t: TestApp, event: E): Promise<E> {
  await t.app.host.commit((uow) => uow.append([event], { expectedVersion: 0 }));
  return event;
}

async function createUser(t: TestApp, phone: string | null): Promise<{ id: string; email: string }> {
  const email = `${randomUUID().slice(0, 8)}@example.com`;
  const res = await t.http.post('/users').send({ email, name: 'Ada', ...(phone ? { phone } : {}) }).expect(201);
  return { id: res.body.id, email };
}

const smsLines = (t: TestApp) =>
  fs.existsSync(t.app.config.smsLogPath)
    ? fs.readFileSync(t.app.config.smsLogPath, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; to: string; text: string })
    : [];
const notificationsOf = async (t: TestApp, userId: string) => (await t.http.get(`/notifications?userId=${userId}`).expect(200)).body.items;
const sentEvents = async (t: TestApp) => (await t.http.get('/events?type=notification.sent').expect(200)).body.items;

describe('notifications to a slow SMTP server', () => {
  it('when twelve users get a bill at once, then their mails go out side by side over the pooled connections only', async () => {
    const sink = await startSmtpSink({ delayMs: 50 });
    const t = await startTestApp({ SMTP_URL: sink.url, SMTP_POOL_SIZE: '3', MODULES });
    try {
      const users = [];
      for (let i = 0; i < 12; i++) users.push(await createUser(t, null));
      const bills = users.map((u) => createBillCreatedEvent(randomUUID(), u.id, 100, 'EUR', '2030-01-31', null));
      await t.app.host.commit((uow) => uow.append(bills));
      await t.settle();
      expect(sink.messages.map((m) => m.to[0]).sort()).to.deep.equal(users.map((u) => u.email).sort());
      // Three connections, reused for all twelve mails (without a pool: one each), and mails taken side by side.
      expect(sink.connections()).to.be.at.most(3);
      expect(sink.maxConcurrent()).to.be.at.least(2);
    } finally {
      await t.stop();
      await sink.close();
    }
  });
});

describe('notifications over real SMTP', () => {
  let sink: SmtpSink;
  let t: TestApp;
  beforeEach(async () => {
    sink = await startSmtpSink();
    t = await startTestApp({ SMTP_URL: sink.url, MODULES });
  });
  afterEach(async () => {
    await t.stop();
    await sink.close();
  });

  describe('when a bill is created for a user with a phone', () => {
    it('then one email and one SMS go out, each recorded and announced with notification.sent', async () => {
      const user = await createUser(t, '+15551234567');
      const bill = await emit(t, createBillCreatedEvent(randomUUID(), user.id, 1234, 'USD', '2030-01-31', 'Electricity', { correlationId: 'corr-1' }));
      await t.settle();

      expect(sink.messages).to.have.length(1);
      expect(sink.messages[0]!.to).to.deep.equal([user.email]);
      expect(sink.messages[0]!.subject).to.equal('New bill: $12.34 due 2030-01-31');
      expect(sink.messages[0]!.body).to.contain('$12.34').and.contain('Electricity');
      expect(smsLines(t).map((l) => l.to)).to.deep.equal(['+15551234567']);
      expect(smsLines(t)[0]!.text).to.contain('$12.34');

      const items = await notificationsOf(t, user.id);
      expect(items.map((n: { channel: string }) => n.channel)).to.deep.equal(['email', 'sms']);
      expect(items[0]).to.include({ userId: user.id, template: 'bill.created', recipient: user.email, status: 'sent', eventId: bill.id });
      expect(items[0]).to.have.all.keys('id', 'userId', 'channel', 'template', 'recipient', 'status', 'eventId', 'sentAt');
      expect(sink.messages[0]!.raw).to.contain(`Message-ID: <${items[0].id}@paybus>`);

      const events = await sentEvents(t);
      expect(events).to.have.length(2);
      expect(events[1].payload).to.deep.equal({ notificationId: items[1].id, userId: user.id, channel: 'sms', template: 'bill.created', recipient: '+15551234567', causationEventId: bill.id });
      expect(events[1].metadata).to.deep.equal({ correlationId: 'corr-1', causationId: bill.id, actor: null });
    });
  });

  it('when payments succeed and fail for a user without a phone, then one email each and no SMS', async () => {
    const user = await createUser(t, null);
    const billId = randomUUID();
    await emit(t, createPaymentFailedEvent(randomUUID(), billId, user.id, 50000, 'JPY', 'card_declined'));
    await emit(t, createPaymentSuccessEvent(randomUUID(), billId, user.id, 1999, 'EUR'));
    await t.settle();
    expect(sink.messages.map((m) => m.subject)).to.deep.equal(['Payment failed: ¥50,000', 'Payment received: €19.99']);
    expect(sink.messages[0]!.body).to.contain('¥50,000').and.contain('card_declined');
    expect(sink.messages[1]!.body).to.contain('€19.99');
    expect(smsLines(t)).to.deep.equal([]);
    expect((await notificationsOf(t, user.id)).map((n: { template: string }) => n.template)).to.deep.equal(['payment.failed', 'payment.success']);
  });

  it('when the user changes email and phone, then later notifications go to the new ones', async () => {
    const user = await createUser(t, '+15551234567');
    await t.http.patch(`/users/${user.id}`).send({ email: 'new@example.com', phone: '+15557654321' }).expect(200);
    await emit(t, createPaymentSuccessEvent(randomUUID(), randomUUID(), user.id, 100, 'USD'));
    await t.settle();
    expect(sink.messages.map((m) => m.to)).to.deep.equal([['new@example.com']]);
    expect(smsLines(t).map((l) => l.to)).to.deep.equal(['+15557654321']);
  });

  it('when an event is delivered again, then nothing is sent twice', async () => {
    const user = await createUser(t, '+15551234567');
    const bill = await emit(t, createBillCreatedEvent(randomUUID(), user.id, 1234, 'USD', '2030-01-31', null));
    await t.settle();
    // Forget the host's record, so the redelivery reaches the module's own (event, channel) check.
    await t.app.storage.run('DELETE FROM inbox WHERE subscriber = ?', ['notifications.send']);
    await t.app.host.subscribers.get('notifications.send')!.handle((await t.app.store.getById(bill.id))!, 1);
    await t.settle();
    expect(sink.messages).to.have.length(1);
    expect(smsLines(t)).to.have.length(1);
    expect(await sentEvents(t)).to.have.length(2);
  });

  it('when SMS fails, then the email goes once, the event is dead-lettered, and a redrive sends only the SMS', async () => {
    await t.stop();
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'blocker'), 'a file where the SMS log folder should be');
    t = await startTestApp({ SMTP_URL: sink.url, MODULES, SMS_LOG_PATH: path.join(dir, 'blocker', 'sms.log') });
    const user = await createUser(t, '+15551234567');
    await emit(t, createBillCreatedEvent(randomUUID(), user.id, 1234, 'USD', '2030-01-31', null));
    await t.settle();

    const [letter, ...others] = await t.app.deadLetters.find({ subscriber: 'notifications.send' });
    expect(others).to.deep.equal([]);
    expect(letter!.error).to.contain('sms to +15551234567');
    expect(letter!.attempts).to.equal(3);
    expect(sink.messages).to.have.length(1);
    expect((await notificationsOf(t, user.id)).map((n: { channel: string }) => n.channel)).to.deep.equal(['email']);

    fs.rmSync(path.join(dir, 'blocker'));
    expect(await t.app.processor.retryDeadLetter(letter!.id)).to.equal('handled');
    expect(sink.messages).to.have.length(1);
    expect(smsLines(t)).to.have.length(1);
    expect((await notificationsOf(t, user.id)).map((n: { channel: string }) => n.channel)).to.deep.equal(['email', 'sms']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('notifications when SMTP is down', () => {
  it('then the send is retried and dead-lettered, nothing is recorded for email, and the SMS still goes', async () => {
    const t = await startTestApp({ SMTP_URL: `smtp://127.0.0.1:${await closedPort()}`, MODULES });
    try {
      const user = await createUser(t, '+15551234567');
      const bill = await emit(t, createBillCreatedEvent(randomUUID(), user.id, 1234, 'USD', '2030-01-31', null));
      await t.settle();
      const letters = await t.app.deadLetters.find();
      expect(letters).to.have.length(1);
      expect(letters[0]).to.include({ subscriber: 'notifications.send', eventId: bill.id, eventType: 'bill.created', attempts: 3 });
      expect(letters[0]!.error).to.match(/email to .*ECONNREFUSED/);
      expect((await notificationsOf(t, user.id)).map((n: { channel: string }) => n.channel)).to.deep.equal(['sms']);
      expect(smsLines(t)).to.have.length(1);
    } finally {
      await t.stop();
    }
  });
});

describe('notifications without SMTP_URL', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ MODULES });
  });
  afterEach(() => t.stop());

  it('then each email is written as an .eml file under MAIL_DIR', async () => {
    const user = await createUser(t, null);
    await emit(t, createBillCreatedEvent(randomUUID(), user.id, 1234, 'USD', '2030-01-31', null));
    await t.settle();
    const [email] = await notificationsOf(t, user.id);
    expect(fs.readdirSync(t.app.config.mailDir)).to.deep.equal([`${email.id}.eml`]);
    const eml = fs.readFileSync(path.join(t.app.config.mailDir, `${email.id}.eml`), 'utf8');
    expect(eml).to.contain(`To: ${user.email}\r\n`).and.contain('Subject: New bill: $12.34 due 2030-01-31\r\n').and.contain('$12.34');
  });

  it('then GET /notifications without a valid userId is 400 naming it, and an unknown user has none', async () => {
    for (const query of ['', '?userId=', '?userId=42', `?userId=${randomUUID()}&extra=1`]) {
      const res = await t.http.get(`/notifications${query}`).expect(400);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(JSON.parse(res.text).errors.map((e: { field: string }) => e.field)).to.satisfy((f: string[]) => f.includes('userId') || f.includes('extra'));
    }
    expect(await notificationsOf(t, randomUUID())).to.deep.equal([]);
  });

  it('then the notifications table can be rebuilt from the log and equals the live one', async () => {
    const user = await createUser(t, '+15551234567');
    await emit(t, createBillCreatedEvent(randomUUID(), user.id, 1234, 'USD', '2030-01-31', null));
    await emit(t, createPaymentSuccessEvent(randomUUID(), randomUUID(), user.id, 1234, 'USD'));
    await t.settle();
    const live = await notificationsOf(t, user.id);
    expect(live).to.have.length(4);
    const projection = t.app.host.projections.find((p) => p.name === 'notifications.notifications')!;
    await t.app.storage.transaction(async (tx) => {
      await tx.run('DELETE FROM notifications_notifications');
      await t.app.ledger.reset(tx, projection.name);
    });
    await t.app.host.catchUpProjections([projection]);
    expect(await notificationsOf(t, user.id)).to.deep.equal(live);
  });
});
