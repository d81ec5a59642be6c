// Applies each owner's migrations once, in order, recording them in schema_migrations; one process at a time.
import { type Statement, type Storage, textFor } from './Storage.js';

export interface Migration {
  id: string;
  /** DDL for both engines, or one text per engine. Never change a migration once released: add the next one. */
  sql: Statement;
}

export interface MigrationSet {
  owner: string;
  migrations: readonly Migration[];
}

const LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  owner TEXT NOT NULL, id TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (owner, id))`;

/**
 * Several processes starting at once on an empty database must not race to create the same tables: the lock makes
 * the others wait, then find every migration applied. Each migration commits with its record, or not at all.
 */
export async function runMigrations(storage: Storage, sets: readonly MigrationSet[]): Promise<void> {
  await storage.withLock('migrations', async () => {
    await storage.transaction((tx) => tx.exec(LEDGER));
    for (const { owner, migrations } of sets) {
      for (const migration of migrations) {
        await storage.transaction(async (tx) => {
          if ((await tx.value('SELECT 1 FROM schema_migrations WHERE owner = ? AND id = ?', [owner, migration.id])) !== undefined) return;
          await tx.exec(textFor(migration.sql, tx.engine));
          await tx.run('INSERT INTO schema_migrations (owner, id, applied_at) VALUES (?, ?, ?)', [owner, migration.id, new Date().toISOString()]);
        });
      }
    }
  });
}
