// One paybus deployment under test: a temp folder (uploads, mail, SMS log, and the SQLite file unless it runs on
// PostgreSQL, then a schema of its own), unique broker names, a tap.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BROKER_URL, deleteBrokerObjects, ExchangeTap, uniqueName } from './broker.js';
import { type InspectedDatabase, postgresInspector, postgresSchema, sqliteInspector } from './database.js';
import { type Entry, PaybusProcess } from './paybus.js';
import type { ScenarioContext } from './types.js';

export class Deployment {
  readonly processes: PaybusProcess[] = [];
  readonly tap: ExchangeTap;
  /** Sent with the audit's own requests: the Authorization of a deployment with auth on. */
  headers: Record<string, string> = {};

  private constructor(
    readonly dir: string,
    readonly env: Record<string, string>,
    /** What the audit and the checks read the deployment's tables through. */
    readonly db: InspectedDatabase,
    private readonly dropSchema: (() => Promise<void>) | undefined,
  ) {
    this.tap = new ExchangeTap(env.RABBITMQ_EXCHANGE!);
  }

  /** The tap binds before paybus starts, so it sees every event ever published. */
  static async create(ctx: Pick<ScenarioContext, 'storage'>, scenario: string, extra: Record<string, string> = {}): Promise<Deployment> {
    const schema = ctx.storage === 'postgres' ? await postgresSchema(scenario) : undefined;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `paybus-chaos-${scenario}-`));
    const name = uniqueName(scenario);
    const env: Record<string, string> = {
      EVENT_TRANSPORT: 'rabbitmq',
      RABBITMQ_URL: BROKER_URL,
      RABBITMQ_EXCHANGE: name,
      RABBITMQ_QUEUE_PREFIX: name,
      DATABASE_PATH: path.join(dir, 'paybus.db'),
      ...(schema ? { DATABASE_URL: schema.url } : {}),
      UPLOAD_DIR: path.join(dir, 'uploads'),
      MAIL_DIR: path.join(dir, 'mail'),
      SMS_LOG_PATH: path.join(dir, 'sms.log'),
      PORT: '0',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      RETRY_ATTEMPTS: '5',
      RETRY_MIN_MS: '20',
      RETRY_MAX_MS: '500',
      PAYMENT_GATEWAY_LATENCY_MS: '5',
      RATE_LIMIT_POST_PER_MINUTE: '0',
      ...extra,
    };
    const db = schema ? postgresInspector(schema.url) : sqliteInspector(env.DATABASE_PATH!);
    const d = new Deployment(dir, env, db, schema?.drop);
    try {
      await d.tap.open();
    } catch (error) {
      // The broker does not answer: nothing started yet, so only the folder and the schema are left to remove.
      await d.cleanup().catch(() => {});
      throw error;
    }
    return d;
  }

  async start(extra: Record<string, string> = {}, entry: Entry = 'main'): Promise<PaybusProcess> {
    // LOG_LEVEL warn hides the "listening" line, which is how the port is found: that one line is info.
    const p = await PaybusProcess.start({ ...this.env, LOG_LEVEL: 'info', ...extra }, undefined, entry);
    this.processes.push(p);
    return p;
  }

  async pendingOutbox(): Promise<number> {
    return (await this.db.value<number>('SELECT COUNT(*) FROM outbox WHERE published_at IS NULL'))!;
  }

  async cleanup(): Promise<void> {
    for (const p of this.processes) await p.kill('SIGKILL');
    await this.db.close().catch(() => {});
    await this.tap.close();
    await deleteBrokerObjects(this.env.RABBITMQ_QUEUE_PREFIX!);
    // CHAOS_KEEP=1 leaves the folder (logs, SMS and mail files) and the database schema for a look after a run.
    if (process.env.CHAOS_KEEP === '1') return void console.log(`  kept ${this.dir}${this.env.DATABASE_URL ? ` and ${this.env.DATABASE_URL}` : ''}`);
    await this.dropSchema?.().catch(() => {});
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
