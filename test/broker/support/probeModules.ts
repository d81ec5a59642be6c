// Small modules for broker tests: a reaction that records each event it handles, a projection that keeps users.
import type { ModuleName } from '../../../src/config.js';
import type { Db } from '../../../src/db/openDatabase.js';
import type { ModuleDefinition } from '../../../src/runtime/module.js';

/**
 * A module `name` (not a real module: the cast only satisfies the host's type) with a reaction on
 * `reactTo` writing `<name>_effects`, and a projection on `projectFrom` keeping `<name>_users`.
 */
export function probeModule(name: string, { reactTo = [] as string[], projectFrom = [] as string[] } = {}): ModuleDefinition {
  return {
    name: name as ModuleName,
    migrations: [
      {
        id: '001',
        sql: `CREATE TABLE ${name}_effects (event_id TEXT NOT NULL, type TEXT NOT NULL);
              CREATE TABLE ${name}_users (id TEXT PRIMARY KEY, email TEXT NOT NULL);`,
      },
    ],
    create: ({ db }) => {
      const effect = db.prepare(`INSERT INTO ${name}_effects (event_id, type) VALUES (?, ?)`);
      const user = db.prepare(`INSERT INTO ${name}_users (id, email) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET email = COALESCE(NULLIF(excluded.email, ''), email)`);
      return {
        reactions: reactTo.length === 0 ? [] : [{ name: `${name}.reaction`, types: reactTo, handle: (event, ctx) => void ctx.commit(() => effect.run(event.id, event.type)) }],
        projections:
          projectFrom.length === 0
            ? []
            : [{ name: `${name}.users`, types: projectFrom, tables: [`${name}_users`], apply: (event) => void user.run(event.aggregateId, emailOf(event.payload)) }],
      };
    },
  };
}

/** user.created carries the email; user.updated carries it under `changes` when it changed. */
function emailOf(payload: Record<string, unknown>): string {
  const changes = payload.changes as { email?: string } | undefined;
  return String(payload.email ?? changes?.email ?? '');
}

export function effects(db: Db, name: string): { event_id: string; type: string }[] {
  return db.prepare(`SELECT event_id, type FROM ${name}_effects ORDER BY rowid`).all() as { event_id: string; type: string }[];
}

export function projectedUsers(db: Db, name: string): { id: string; email: string }[] {
  return db.prepare(`SELECT id, email FROM ${name}_users ORDER BY id`).all() as { id: string; email: string }[];
}
