import { expect } from 'chai';
import { bindingKey, buildTopology } from '../../src/broker/topology.js';
import { wireMessage } from '../../src/broker/wire.js';
import type { Config } from '../../src/config.js';
import type { PaybusModule } from '../../src/runtime/module.js';

const settings: Config['rabbitmq'] = { url: 'amqp://localhost', exchange: 'paybus.events', queueType: 'classic', queuePrefix: 'paybus', prefetch: 50, singleActiveConsumer: true };
const noop = () => {};
const modules = [
  { name: 'billing', projections: [{ name: 'billing.users', types: ['user.created', 'user.updated'], tables: [], apply: noop }], reactions: [{ name: 'billing.paid', types: ['payment.success'], handle: noop }] },
  { name: 'analytics', reactions: [{ name: 'analytics.count', types: ['*'], handle: noop }] },
  { name: 'documents' },
] as PaybusModule[];

describe('broker topology', () => {
  it('maps paybus patterns to topic bindings: exact type, prefix.* to prefix.#, * to #', () => {
    expect(bindingKey('bill.paid')).to.equal('bill.paid');
    expect(bindingKey('bill.*')).to.equal('bill.#');
    expect(bindingKey('*')).to.equal('#');
  });

  it('gives each subscribing module one queue bound to its projections and reactions, with a dead-letter queue', () => {
    const t = buildTopology(settings, modules);
    expect(t.exchange).to.equal('paybus.events');
    expect(t.queues.map((q) => q.name)).to.deep.equal(['paybus.billing', 'paybus.analytics']);
    const billing = t.queues[0]!;
    expect(billing.bindings).to.deep.equal(['user.created', 'user.updated', 'payment.success']);
    expect(billing.dlq).to.equal('paybus.billing.dlq');
    expect(billing.arguments).to.deep.equal({ 'x-dead-letter-exchange': 'paybus.dlx', 'x-dead-letter-routing-key': 'paybus.billing', 'x-single-active-consumer': true });
    expect(t.queues[1]!.bindings).to.deep.equal(['#']);
  });

  it('declares queues without single active consumer when RABBITMQ_SINGLE_ACTIVE_CONSUMER=false', () => {
    const t = buildTopology({ ...settings, singleActiveConsumer: false }, modules);
    expect(t.queues[0]!.arguments).not.to.have.property('x-single-active-consumer');
  });

  it('declares quorum queues when RABBITMQ_QUEUE_TYPE=quorum', () => {
    const t = buildTopology({ ...settings, queueType: 'quorum', queuePrefix: 'acme' }, modules);
    expect(t.queues[0]!.name).to.equal('acme.billing');
    expect(t.queues[0]!.arguments['x-queue-type']).to.equal('quorum');
  });
});

describe('wire format', () => {
  it('sends the stored body as is, with the properties of CONTRACT.md', () => {
    const body = JSON.stringify({ id: 'e1', type: 'user.created', occurredAt: '2025-01-02T03:04:05.678Z', metadata: { correlationId: 'c1', causationId: null } });
    const m = wireMessage({ id: 7, eventId: 'e1', eventType: 'user.created', body, createdAt: '', attempts: 0 });
    expect(m.routingKey).to.equal('user.created');
    expect(m.content.toString('utf8')).to.equal(body);
    expect(m.options).to.deep.equal({
      contentType: 'application/json',
      messageId: 'e1',
      type: 'user.created',
      timestamp: Math.floor(Date.parse('2025-01-02T03:04:05.678Z') / 1000),
      correlationId: 'c1',
      persistent: true,
    });
  });
});
