// The RabbitMQ objects paybus declares: the event exchange, one queue per module, and each module's dead-letter queue.
import type { Channel } from 'amqplib';
import type { Config } from '../config.js';
import type { PaybusModule } from '../runtime/module.js';

export interface ModuleQueue {
  module: string;
  name: string;
  dlq: string;
  /** Topic binding keys on the event exchange. */
  bindings: string[];
  /** The module's subscription patterns, in paybus syntax, for filtering what arrives. */
  patterns: string[];
  arguments: Record<string, unknown>;
}

export interface Topology {
  exchange: string;
  /** Direct exchange that carries rejected messages to `<queue>.dlq`, routed by the queue's name. */
  deadLetterExchange: string;
  queueType: 'classic' | 'quorum';
  queues: ModuleQueue[];
}

/**
 * Maps a paybus pattern to a topic binding key. `x.*` becomes `x.#` rather than `x.*` because paybus
 * matches by prefix (any number of words after `x.`), which is `#` in AMQP; `*` becomes `#`.
 */
export function bindingKey(pattern: string): string {
  if (pattern === '*') return '#';
  if (pattern.endsWith('.*')) return `${pattern.slice(0, -2)}.#`;
  return pattern;
}

/** The patterns a module listens to: those of its projections and its reactions. */
export function modulePatterns(mod: Pick<PaybusModule, 'projections' | 'reactions'>): string[] {
  const types = [...(mod.projections ?? []), ...(mod.reactions ?? [])].flatMap((s) => s.types);
  return [...new Set(types)];
}

export function buildTopology(settings: Config['rabbitmq'], modules: readonly PaybusModule[]): Topology {
  const deadLetterExchange = `${settings.queuePrefix}.dlx`;
  const queues: ModuleQueue[] = [];
  for (const mod of modules) {
    const patterns = modulePatterns(mod);
    if (patterns.length === 0) continue; // a module that subscribes to nothing needs no queue
    const name = `${settings.queuePrefix}.${mod.name}`;
    const args: Record<string, unknown> = { 'x-dead-letter-exchange': deadLetterExchange, 'x-dead-letter-routing-key': name };
    if (settings.queueType === 'quorum') args['x-queue-type'] = 'quorum';
    if (settings.singleActiveConsumer) args['x-single-active-consumer'] = true;
    queues.push({ module: mod.name, name, dlq: `${name}.dlq`, bindings: [...new Set(patterns.map(bindingKey))], patterns, arguments: args });
  }
  return { exchange: settings.exchange, deadLetterExchange, queueType: settings.queueType, queues };
}

/** Idempotent: run on every (re)connection, so a broker that lost its definitions gets them back. */
export async function declareTopology(channel: Channel, topology: Topology): Promise<void> {
  await channel.assertExchange(topology.exchange, 'topic', { durable: true });
  if (topology.queues.length === 0) return;
  await channel.assertExchange(topology.deadLetterExchange, 'direct', { durable: true });
  const typeArgs = topology.queueType === 'quorum' ? { 'x-queue-type': 'quorum' } : {};
  for (const queue of topology.queues) {
    await channel.assertQueue(queue.dlq, { durable: true, arguments: typeArgs });
    await channel.bindQueue(queue.dlq, topology.deadLetterExchange, queue.name);
    await channel.assertQueue(queue.name, { durable: true, arguments: queue.arguments });
    for (const key of queue.bindings) await channel.bindQueue(queue.name, topology.exchange, key);
  }
}
