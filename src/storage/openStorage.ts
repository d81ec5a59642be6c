// Picks the engine: PostgreSQL when DATABASE_URL is set, else the SQLite file at DATABASE_PATH.
import type { Config } from '../config.js';
import { PostgresStorage } from './postgres/PostgresStorage.js';
import { SqliteStorage } from './sqlite/SqliteStorage.js';
import type { Storage } from './Storage.js';

export async function openStorage(config: Pick<Config, 'databasePath' | 'databaseUrl' | 'databasePoolSize'>, onError: (error: unknown) => void): Promise<Storage> {
  if (config.databaseUrl) return PostgresStorage.open({ url: config.databaseUrl, poolSize: config.databasePoolSize, onError });
  return new SqliteStorage(config.databasePath, { onCallbackError: onError });
}
