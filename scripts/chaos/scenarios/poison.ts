// Poison messages straight into module queues: each ends in its dead-letter queue; good events behind them are handled.
import { randomUUID } from 'node:crypto';
import { audit } from '../lib/audit.js';
import { queueDepths, withChannel } from '../lib/broker.js';
import { Deployment } from '../lib/deployment.js';
import { postJson } from '../lib/http.js';
import { outcome } from '../lib/report.js';
import { type Scenario, sleep } from '../lib/types.js';
import { emptyAccepted } from '../lib/workload.js';
import { MODULE_NAMES } from '../../../src/config.js';

const envelope = (type: string, payload: unknown, extra: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  type,
  aggregateType: 'bill',
  aggregateId: randomUUID(),
  version: 1,
  occurredAt: new Date().toISOString(),
  payload,
  metadata: { correlationId: randomUUID(), causationId: null },
  ...extra,
});

/** Messages that can never be an event: not JSON, not an object, or an envelope its schema refuses. */
function poisonBodies(): Buffer[] {
  const text = [
    '{"id":',
    'null',
    '[]',
    '42',
    '"just a string"',
    JSON.stringify(envelope('bill.exploded', {})),
    JSON.stringify(envelope('bill.created', { billId: 'x', userId: 1, amount: 'lots', currency: 'euro' })),
    JSON.stringify({ ...envelope('user.created', { userId: randomUUID(), email: 'a@b.co', name: 'A', phone: null }), metadata: undefined }),
    JSON.stringify(envelope('payment.success', { paymentId: randomUUID(), billId: randomUUID(), userId: randomUUID(), amount: -5, currency: 'EUR' }, { version: 0 })),
    JSON.stringify(envelope('notification.sent', { note: 'x'.repeat(200_000) })),
  ];
  return [Buffer.from([0xff, 0xfe, 0x00, 0x9f, 0x92, 0x96]), ...text.map((t) => Buffer.from(t, 'utf8'))];
}

export const poison: Scenario = {
  name: 'poison',
  async run(ctx) {
    const d = await Deployment.create(ctx, 'poison');
    const acc = emptyAccepted();
    try {
      const p = await d.start();
      const prefix = d.env.RABBITMQ_QUEUE_PREFIX!;
      const depths = await queueDepths(MODULE_NAMES.map((m) => `${prefix}.${m}`));
      const queues = [...depths.keys()];
      const bodies = poisonBodies();
      await withChannel(async (ch) => {
        for (const q of queues) for (const body of bodies) ch.sendToQueue(q, body, { persistent: true, messageId: `poison-${randomUUID()}`, contentType: 'application/json' });
        await ch.waitForConfirms();
      });
      ctx.log(`${bodies.length} poison messages into each of ${queues.length} module queues`);

      // Good work behind the poison: it flows through the same queues and must be handled as usual.
      for (let i = 0; i < (ctx.quick ? 5 : 20); i++) {
        const user = await postJson(p.url, '/users', { email: `poison-${i}-${randomUUID().slice(0, 6)}@chaos.test`, name: 'After Poison', phone: '+15550001111' });
        const userId = (JSON.parse(user.text) as { id: string }).id;
        acc.users.push(userId);
        const bill = await postJson(p.url, '/bills', { userId, amount: 500, currency: 'EUR', dueDate: '2030-01-31' });
        const billId = (JSON.parse(bill.text) as { id: string }).id;
        acc.bills.push(billId);
        const pay = await postJson(p.url, '/payments', { billId, amount: 500, currency: 'EUR', source: 'tok_visa' });
        if (pay.status === 201) acc.payments.push((JSON.parse(pay.text) as { id: string }).id);
      }
      const a = await audit(d, p.url, acc, 60_000);
      // Dead-lettering is asynchronous too: give the DLQs the same bounded time to fill.
      const want = bodies.length;
      let dlq = new Map<string, number>();
      for (let i = 0; i < 100; i++) {
        dlq = await queueDepths(queues.map((q) => `${q}.dlq`));
        if ([...dlq.values()].every((n) => n === want) && dlq.size === queues.length) break;
        await sleep(200);
      }
      const wrong = queues.filter((q) => dlq.get(`${q}.dlq`) !== want);
      const left = [...(await queueDepths(queues)).values()].reduce((x, y) => x + y, 0);
      await p.kill('SIGTERM');
      const notes = [`${bodies.length} poison messages into each of ${queues.length} queues (${queues.map((q) => q.slice(prefix.length + 1)).join(', ')}); dead-lettered ${[...dlq.values()].join('/')}`];
      if (wrong.length > 0) notes.push(`DLQ count wrong for ${wrong.join(', ')}`);
      if (left > 0) notes.push(`${left} messages still waiting in module queues`);
      return outcome(queues.length, a, notes, { poisonPerQueue: want, deadLettered: [...dlq.values()] }, wrong.length === 0 && left === 0);
    } finally {
      await d.cleanup();
    }
  },
};
