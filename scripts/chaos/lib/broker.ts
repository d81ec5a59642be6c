// The shared RabbitMQ as the chaos suite uses it: unique names, an outside tap, rabbitmqctl, targeted connection cuts.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { MODULE_NAMES } from '../../../src/config.js';
import { sleep } from './types.js';

export const BROKER_URL = process.env.CHAOS_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = promisify(execFile);

export function uniqueName(scenario: string): string {
  return `paybus.chaos.${scenario}.${randomBytes(4).toString('hex')}`;
}

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 90_000 });
  return stdout;
}

/**
 * Closes only the broker connections of the given processes (found by their local ports), not every client of
 * the shared broker as close_all_connections would: other programs on it are not part of this run.
 */
export async function closeConnectionsOf(pids: readonly number[]): Promise<number> {
  const { stdout } = await run('ss', ['-tnpH', 'state', 'established', '( dport = :5672 )']);
  const ports = new Set<string>();
  for (const line of stdout.split('\n')) {
    if (!pids.some((pid) => line.includes(`pid=${pid},`))) continue;
    const local = line.trim().split(/\s+/)[2] ?? '';
    ports.add(local.slice(local.lastIndexOf(':') + 1));
  }
  // close_connection takes the connection's Erlang pid, e.g. <rabbit@host.1.2345.0>.
  const listing = await rabbitmqctl('list_connections', '-q', '--no-table-headers', 'pid', 'peer_port');
  let closed = 0;
  for (const row of listing.split('\n')) {
    const [connection, port] = row.split('\t');
    if (!connection || !port || !ports.has(port.trim())) continue;
    await rabbitmqctl('close_connection', connection.trim(), 'chaos');
    closed++;
  }
  return closed;
}

/** A program that is not paybus: its own durable queue bound with `#`; reconnects on its own after a fault. */
export class ExchangeTap {
  /** messageId → deliveries seen. */
  readonly seen = new Map<string, number>();
  reconnects = 0;
  private connection: ChannelModel | undefined;
  private closed = false;

  constructor(readonly exchange: string) {}

  get queue(): string {
    return `${this.exchange}.tap`;
  }

  async open(): Promise<void> {
    const connection = await amqp.connect(BROKER_URL);
    connection.on('error', () => {});
    connection.on('close', () => {
      this.connection = undefined;
      if (!this.closed) void this.reconnect();
    });
    const ch = await connection.createChannel();
    ch.on('error', () => {});
    await ch.assertExchange(this.exchange, 'topic', { durable: true });
    await ch.assertQueue(this.queue, { durable: true });
    await ch.bindQueue(this.queue, this.exchange, '#');
    await ch.prefetch(500);
    await ch.consume(this.queue, (m) => {
      if (!m) return;
      const id = String(m.properties.messageId);
      this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
      ch.ack(m);
    });
    this.connection = connection;
  }

  private async reconnect(): Promise<void> {
    // Bounded: a broker away for more than two minutes ends the tap (and the scenario reports what it missed).
    for (let i = 0; i < 240 && !this.closed; i++) {
      await sleep(500);
      try {
        await this.open();
        this.reconnects++;
        return;
      } catch {
        // still away
      }
    }
  }

  duplicates(): number {
    let n = 0;
    for (const c of this.seen.values()) n += c - 1;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connection?.close().catch(() => {});
  }
}

/** Messages ready in each existing queue of `names` (a missing queue is left out). */
export async function queueDepths(names: readonly string[]): Promise<Map<string, number>> {
  const connection = await amqp.connect(BROKER_URL);
  connection.on('error', () => {});
  const depths = new Map<string, number>();
  try {
    for (const name of names) {
      const ch = await connection.createChannel();
      ch.on('error', () => {});
      try {
        depths.set(name, (await ch.checkQueue(name)).messageCount);
        await ch.close();
      } catch {
        // no such queue
      }
    }
  } finally {
    await connection.close().catch(() => {});
  }
  return depths;
}

export async function withChannel<T>(fn: (ch: ConfirmChannel) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(BROKER_URL);
  connection.on('error', () => {});
  try {
    const ch = await connection.createConfirmChannel();
    ch.on('error', () => {});
    return await fn(ch);
  } finally {
    await connection.close().catch(() => {});
  }
}

/** Deletes the exchange, the tap and every queue a deployment under `prefix` may have declared. */
export async function deleteBrokerObjects(prefix: string): Promise<void> {
  const queues = [...MODULE_NAMES.flatMap((m) => [`${prefix}.${m}`, `${prefix}.${m}.dlq`]), `${prefix}.tap`];
  const connection = await amqp.connect(BROKER_URL).catch(() => undefined);
  if (!connection) return;
  connection.on('error', () => {});
  for (const op of [...queues.map((q) => (ch: Channel) => ch.deleteQueue(q)), (ch: Channel) => ch.deleteExchange(prefix), (ch: Channel) => ch.deleteExchange(`${prefix}.dlx`)]) {
    const ch = await connection.createChannel().catch(() => undefined);
    if (!ch) break;
    ch.on('error', () => {});
    await op(ch).catch(() => {});
    await ch.close().catch(() => {});
  }
  await connection.close().catch(() => {});
}
