// paybus as the bench builds it: a config rooted in the bench folder, silent logs, the modules a case asks for.
import path from 'node:path';
import { pino } from 'pino';
import { type Config, loadConfig, type ModuleName } from '../../src/config.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import { SqliteStorage } from '../../src/storage/sqlite/SqliteStorage.js';
import type { Storage } from '../../src/storage/Storage.js';
import type { Outbox } from '../../src/store/Outbox.js';
import { BENCH_RABBITMQ_URL } from './rabbit.js';

export const silentLog = pino({ level: 'silent' });

/** `modules` may be empty: the bench often runs only its probe module (see probeModule.ts). */
export function benchConfig(dir: string, name: string, env: Record<string, string> = {}, modules: ModuleName[] = []): Config {
  const config = loadConfig({
    DATABASE_PATH: path.join(dir, `${name}.db`),
    UPLOAD_DIR: path.join(dir, `${name}-uploads`),
    MAIL_DIR: path.join(dir, `${name}-mail`),
    SMS_LOG_PATH: path.join(dir, `${name}-sms.log`),
    RABBITMQ_URL: BENCH_RABBITMQ_URL,
    LOG_LEVEL: 'silent',
    PORT: '0',
    ...env,
  });
  return { ...config, modules };
}

/** Writes pending outbox rows for `events` as commits would, in one transaction (setup, not timed). */
export async function fillOutbox(storage: Storage, outbox: Outbox, events: readonly EventEnvelope[]): Promise<void> {
  await storage.transaction(async (tx) => {
    for (let i = 0; i < events.length; i += 1000) await outbox.add(tx, events.slice(i, i + 1000).map((e, j) => ({ ...e, position: i + j + 1 })));
  });
  // A backlog that built up over time was checkpointed along the way; one written in a burst would otherwise
  // leave its whole WAL to be checkpointed inside the timed drain.
  if (storage instanceof SqliteStorage) storage.db.pragma('wal_checkpoint(TRUNCATE)');
}

/** Resolves once `check` holds, looking every millisecond (cheap next to the seconds a case runs); throws after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 120_000, what = 'the case to finish'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
