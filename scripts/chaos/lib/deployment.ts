// One paybus deployment under test: a temp folder (database, uploads, mail, SMS log), unique broker names, a tap.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BROKER_URL, deleteBrokerObjects, ExchangeTap, uniqueName } from './broker.js';
import { PaybusProcess } from './paybus.js';

export class Deployment {
  readonly processes: PaybusProcess[] = [];
  readonly tap: ExchangeTap;
  private db: Database.Database | undefined;

  private constructor(
    readonly dir: string,
    readonly env: Record<string, string>,
  ) {
    this.tap = new ExchangeTap(env.RABBITMQ_EXCHANGE!);
  }

  /** The tap binds before paybus starts, so it sees every event ever published. */
  static async create(scenario: string, extra: Record<string, string> = {}): Promise<Deployment> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `paybus-chaos-${scenario}-`));
    const name = uniqueName(scenario);
    const env: Record<string, string> = {
      EVENT_TRANSPORT: 'rabbitmq',
      RABBITMQ_URL: BROKER_URL,
      RABBITMQ_EXCHANGE: name,
      RABBITMQ_QUEUE_PREFIX: name,
      DATABASE_PATH: path.join(dir, 'paybus.db'),
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
    const d = new Deployment(dir, env);
    await d.tap.open();
    return d;
  }

  async start(extra: Record<string, string> = {}): Promise<PaybusProcess> {
    // LOG_LEVEL warn hides the "listening" line, which is how the port is found: that one line is info.
    const p = await PaybusProcess.start({ ...this.env, LOG_LEVEL: 'info', ...extra });
    this.processes.push(p);
    return p;
  }

  /** A read-only view of the deployment's database (WAL: reading never blocks the writer). */
  sql(): Database.Database {
    this.db ??= new Database(this.env.DATABASE_PATH!, { readonly: true, fileMustExist: true });
    return this.db;
  }

  pendingOutbox(): number {
    return this.sql().prepare('SELECT COUNT(*) FROM outbox WHERE published_at IS NULL').pluck().get() as number;
  }

  async cleanup(): Promise<void> {
    for (const p of this.processes) await p.kill('SIGKILL');
    this.db?.close();
    await this.tap.close();
    await deleteBrokerObjects(this.env.RABBITMQ_QUEUE_PREFIX!);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
