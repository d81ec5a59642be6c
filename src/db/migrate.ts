// Applies each owner's migrations once, in order, recording them in schema_migrations.
import type { Db } from './openDatabase.js';

export interface Migration {
  id: string;
  sql: string;
}

export function runMigrations(db: Db, owner: string, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    owner TEXT NOT NULL, id TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (owner, id))`);
  const applied = db.prepare('SELECT 1 FROM schema_migrations WHERE owner = ? AND id = ?');
  const record = db.prepare('INSERT INTO schema_migrations (owner, id, applied_at) VALUES (?, ?, ?)');
  const apply = db.transaction((m: Migration) => {
    db.exec(m.sql);
    record.run(owner, m.id, new Date().toISOString());
  });
  for (const m of migrations) if (!applied.get(owner, m.id)) apply(m);
}
