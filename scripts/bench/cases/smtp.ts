// reactions.smtp: mails a second through an SMTP server that takes 100 ms a message: paybus's notifications reaction
// (SMTP_URL, SMTP_POOL_SIZE and SUBSCRIBER_CONCURRENCY as configured by default) against nodemailer's own pool with
// as many connections, sending as many messages straight away.
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { createApp } from '../../../src/createApp.js';
import { createBillCreatedEvent, createUserCreatedEvent } from '../../../src/events/catalog.js';
import { benchConfig, silentLog, waitFor } from '../benchApp.js';
import { type BenchCase, interleave, ratioResult } from '../harness.js';
import { type SlowSmtp, startSlowSmtp } from '../slowSmtp.js';

const SMTP_DELAY_MS = 100;
const USERS = 50;
const WARMUP = 20;

/** Times `send` from its call until the server has accepted `count` more messages. */
async function mailRate(smtp: SlowSmtp, count: number, send: () => Promise<unknown>): Promise<number> {
  const target = smtp.accepted() + count;
  const start = performance.now();
  await send();
  await waitFor(() => smtp.accepted() >= target, 600_000, `${count} mails`);
  return count / ((smtp.lastAcceptedAt() - start) / 1000);
}

export const reactionsSmtp: BenchCase = {
  name: 'reactions.smtp',
  async run({ quick, dir }) {
    const perRound = quick ? 100 : 400;
    const rounds = quick ? 2 : 3;
    const smtp = await startSlowSmtp(SMTP_DELAY_MS);
    const app = await createApp(benchConfig(dir, 'smtp', { SMTP_URL: smtp.url }, ['notifications']), { log: silentLog });
    const { smtpPoolSize, concurrency } = app.config;
    const raw = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, pool: true, maxConnections: smtpPoolSize });
    try {
      // Users without a phone: each bill.created is one mail. Known to notifications before the clock starts.
      const userIds = Array.from({ length: USERS }, () => randomUUID());
      await app.host.commit(({ append }) => append(userIds.map((id) => createUserCreatedEvent(id, `bench-${id}@example.com`, 'Bench User', null))));
      await app.start();
      // Each bill committed on its own, all at once, as requests would; the users' mails interleave.
      const ours = (count: number) =>
        mailRate(smtp, count, () =>
          Promise.all(
            Array.from({ length: count }, (_, i) =>
              app.host.commit(({ append }) => append([createBillCreatedEvent(randomUUID(), userIds[i % USERS]!, 12345, 'EUR', '2030-01-31', 'Electricity, January')])),
            ),
          ),
        ).then(async (rate) => {
          await app.host.idle(); // notification.sent committed and counted before the other side's round
          return rate;
        });
      const baseline = (count: number) =>
        mailRate(smtp, count, async () => {
          void Promise.all(
            Array.from({ length: count }, (_, i) =>
              raw.sendMail({
                from: app.config.mailFrom,
                to: `bench-${userIds[i % USERS]}@example.com`,
                subject: 'New bill: 123.45 EUR due 2030-01-31',
                text: 'Hello Bench User,\n\nyou have a new bill of 123.45 EUR, due on 2030-01-31: Electricity, January.\n\npaybus',
                messageId: `<${randomUUID()}@paybus>`,
              }),
            ),
          ).catch(() => {}); // a refused message never reaches the count: the wait times out and says so
        });
      // Both pools open their connections before the clock runs.
      await ours(WARMUP);
      await baseline(WARMUP);
      const r = await interleave(rounds, () => ours(perRound), () => baseline(perRound));
      const notes =
        `${perRound} mails a round to smtp-server taking ${SMTP_DELAY_MS} ms a message, ${USERS} users; paybus: bill.created → notifications.send, ` +
        `SMTP_POOL_SIZE ${smtpPoolSize}, SUBSCRIBER_CONCURRENCY ${concurrency.default}; baseline: nodemailer pool: true, maxConnections ${smtpPoolSize}; ` +
        `ceiling ${Math.round((smtpPoolSize * 1000) / SMTP_DELAY_MS)} mails/s`;
      return ratioResult('reactions.smtp', 'mails/s', r.ours, r.baseline, 0.7, notes);
    } finally {
      raw.close();
      await app.stop();
      await smtp.close();
    }
  },
};
