// Helpers for tests against the real RabbitMQ: unique names per run, an outside consumer, rabbitmqctl, cleanup.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { MODULE_NAMES, type ModuleName } from '../../../src/config.js';
import type { EventEnvelope } from '../../../src/events/envelope.js';
import type { ModuleDefinition } from '../../../src/runtime/module.js';
import { PostgresStorage } from '../../../src/storage/postgres/PostgresStorage.js';
import { SqliteStorage } from '../../../src/storage/sqlite/SqliteStorage.js';
import type { Storage } from '../../../src/storage/Storage.js';
import { startAppIn, tempDir, testConfig, type TestApp } from '../../support/testApp.js';

export const BROKER_URL = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export async function brokerAnswers(): Promise<boolean> {
  try {
    const connection = await amqp.connect(BROKER_URL, { timeout: 3000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

/** Call at the top of a describe: with CI=true a missing broker fails the suite; elsewhere it skips, saying why. */
export function requireBroker(): void {
  before(async function () {
    if (await brokerAnswers()) return;
    if (process.env.CI === 'true') throw new Error(`CI=true and no RabbitMQ answers at ${BROKER_URL}`);
    console.log(`    skipped: no RabbitMQ answers at ${BROKER_URL} (start one with npm run messaging:start)`);
    this.skip();
  });
}

export type BrokerEnv = Record<string, string> & { RABBITMQ_EXCHANGE: string; RABBITMQ_QUEUE_PREFIX: string };

/** Environment for one test's paybus: broker mode with an exchange and queues no other run sees. */
export function brokerEnv(extra: Record<string, string> = {}): BrokerEnv {
  const id = `paybus.test.${randomBytes(5).toString('hex')}`;
  return { EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_URL: BROKER_URL, RABBITMQ_EXCHANGE: id, RABBITMQ_QUEUE_PREFIX: id, ...extra };
}

/** Runs one channel operation on its own channel, so a 404 (already gone) closes nothing else. */
async function tolerant(connection: ChannelModel, op: (ch: Channel) => Promise<unknown>): Promise<void> {
  const ch = await connection.createChannel();
  ch.on('error', () => {});
  try {
    await op(ch);
    await ch.close();
  } catch {
    // already gone
  }
}

/** Deletes the exchange and every queue a run under `env` may have declared. */
export async function deleteBrokerObjects(env: BrokerEnv, moduleNames: readonly string[] = [], queues: readonly string[] = []): Promise<void> {
  const connection = await amqp.connect(BROKER_URL);
  connection.on('error', () => {});
  const prefix = env.RABBITMQ_QUEUE_PREFIX;
  const names = [...MODULE_NAMES, ...moduleNames].flatMap((m) => [`${prefix}.${m}`, `${prefix}.${m}.dlq`]);
  for (const q of [...names, ...queues]) await tolerant(connection, (ch) => ch.deleteQueue(q));
  for (const x of [env.RABBITMQ_EXCHANGE, `${prefix}.dlx`]) await tolerant(connection, (ch) => ch.deleteExchange(x));
  await connection.close().catch(() => {});
}

/**
 * A program that is not paybus: binds its own durable queue to the exchange with `#` and reads what arrives.
 * Durable, so it keeps collecting while its own connection is cut (outage tests) and can be read later.
 */
export class OutsideConsumer {
  readonly messages: ConsumeMessage[] = [];
  private connection: ChannelModel | undefined;

  private constructor(readonly queue: string, private readonly exchange: string) {}

  static async bind(exchange: string): Promise<OutsideConsumer> {
    const consumer = new OutsideConsumer(`${exchange}.outside`, exchange);
    await consumer.connect();
    return consumer;
  }

  /** (Re)connects and consumes; what was delivered but not acknowledged before comes again, as for any client. */
  async connect(): Promise<void> {
    const connection = await amqp.connect(BROKER_URL);
    connection.on('error', () => {});
    const ch = await connection.createChannel();
    ch.on('error', () => {});
    await ch.assertExchange(this.exchange, 'topic', { durable: true });
    await ch.assertQueue(this.queue, { durable: true });
    await ch.bindQueue(this.queue, this.exchange, '#');
    await ch.consume(this.queue, (m) => {
      if (!m) return;
      this.messages.push(m);
      ch.ack(m);
    });
    this.connection = connection;
  }

  ids(): string[] {
    return this.messages.map((m) => m.properties.messageId as string);
  }

  /** Waits until every id has arrived (the test's own timeout bounds it). */
  async waitForIds(ids: readonly string[]): Promise<void> {
    for (;;) {
      const seen = new Set(this.ids());
      if (ids.every((id) => seen.has(id))) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    await this.connection?.close().catch(() => {});
    this.connection = undefined;
  }
}

const run = promisify(execFile);

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 60_000 });
  return stdout;
}

/**
 * Messages of a queue as the broker counts them: ready, and delivered but not acknowledged yet. Asked of the queue
 * itself (rabbitmqctl), not of the management statistics, which lag.
 */
export async function queueCounts(queue: string): Promise<{ ready: number; unacked: number }> {
  const lines = (await rabbitmqctl('-q', 'list_queues', 'name', 'messages_ready', 'messages_unacknowledged')).trim().split('\n');
  const row = lines.map((l) => l.trim().split(/\s+/)).find(([name]) => name === queue);
  if (!row) throw new Error(`rabbitmqctl does not list queue ${queue}`);
  return { ready: Number(row[1]), unacked: Number(row[2]) };
}

/**
 * The database of a paybus child process started with `env` (DATABASE_URL or DATABASE_PATH), opened beside it to
 * read what it wrote. SQLite: WAL lets this read while the child writes; no checkpointer of its own.
 */
export async function openDatabaseOf(env: Record<string, string>): Promise<Storage> {
  if (env.DATABASE_URL) return PostgresStorage.open({ url: env.DATABASE_URL, poolSize: 2 });
  return new SqliteStorage(env.DATABASE_PATH!, { checkpointer: false });
}

/** Polls `check`; with `timeoutMs`, throws when it has not come true by then (for waits that guard a cleanup). */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = Infinity, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Like startTestApp, but `modules` may be empty (an app of test modules only), because in broker mode a module
 * runs in exactly one process of a deployment: a second app loading `users` would compete for its queue.
 */
export async function startBrokerApp(env: BrokerEnv, modules: readonly ModuleName[], extraModules: ModuleDefinition[] = []): Promise<TestApp> {
  const dir = tempDir();
  return startAppIn(dir, { ...testConfig(env, dir), modules: [...modules] }, { extraModules });
}

/**
 * A module queue with a backlog: a first start of `module` declares its queue and stops, then `events` go straight
 * to the queue, confirmed, so the next start finds them all waiting. `channel` inspects the queue afterwards.
 */
export async function backlogQueue(env: BrokerEnv, module: ModuleDefinition, events: readonly EventEnvelope[]): Promise<{ queue: string; channel: ConfirmChannel; close(): Promise<void> }> {
  const first = await startBrokerApp(env, [], [module]);
  await first.stop();
  const queue = `${env.RABBITMQ_QUEUE_PREFIX}.${module.name}`;
  const connection = await amqp.connect(BROKER_URL);
  const channel = await connection.createConfirmChannel();
  for (const e of events) channel.sendToQueue(queue, Buffer.from(JSON.stringify(e)), { messageId: e.id, type: e.type, persistent: true });
  await channel.waitForConfirms();
  return { queue, channel, close: () => connection.close() };
}
