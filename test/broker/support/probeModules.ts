// Small modules for broker tests: a reaction that records each event it handles, a projection that keeps users.
import type { ModuleName } from '../../../src/config.js';
import type { ModuleDefinition, Sql } from '../../../src/moduleKit.js';

/**
 * A module `name` (not a real module: the cast only satisfies the host's type) with a database-only reaction on
 * `reactTo` writing `<name>_effects`, and a projection on `projectFrom` keeping `<name>_users`.
 */
export function probeModule(name: string, { reactTo = [] as string[], projectFrom = [] as string[] } = {}): ModuleDefinition {
  const users = `${name}_users`;
  return {
    name: name as ModuleName,
    migrations: [
      {
        id: '001',
        // `seq` keeps the order effects were recorded in (no rowid on PostgreSQL).
        sql: {
          sqlite: `CREATE TABLE ${name}_effects (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, type TEXT NOT NULL);
                   CREATE TABLE ${users} (id TEXT PRIMARY KEY, email TEXT NOT NULL);`,
          postgres: `CREATE TABLE ${name}_effects (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_id TEXT NOT NULL, type TEXT NOT NULL);
                     CREATE TABLE ${users} (id TEXT PRIMARY KEY, email TEXT NOT NULL);`,
        },
      },
    ],
    create: () => ({
      reactions:
        reactTo.length === 0
          ? []
          : [{ name: `${name}.reaction`, types: reactTo, apply: async (event, { tx }) => void (await tx.run(`INSERT INTO ${name}_effects (event_id, type) VALUES (?, ?)`, [event.id, event.type])) }],
      projections:
        projectFrom.length === 0
          ? []
          : [
              {
                name: `${name}.users`,
                types: projectFrom,
                tables: [users],
                apply: async (event, tx) =>
                  void (await tx.run(`INSERT INTO ${users} (id, email) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET email = COALESCE(NULLIF(excluded.email, ''), ${users}.email)`, [
                    event.aggregateId,
                    emailOf(event.payload),
                  ])),
              },
            ],
    }),
  };
}

/** user.created carries the email; user.updated carries it under `changes` when it changed. */
function emailOf(payload: Record<string, unknown>): string {
  const changes = payload.changes as { email?: string } | undefined;
  return String(payload.email ?? changes?.email ?? '');
}

export function effects(db: Sql, name: string): Promise<{ event_id: string; type: string }[]> {
  return db.all<{ event_id: string; type: string }>(`SELECT event_id, type FROM ${name}_effects ORDER BY seq`);
}

export function projectedUsers(db: Sql, name: string): Promise<{ id: string; email: string }[]> {
  return db.all<{ id: string; email: string }>(`SELECT id, email FROM ${name}_users ORDER BY id`);
}
