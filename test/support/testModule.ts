// A small module for runtime tests: one reaction whose behaviour the test scripts, and a table of its effects.
import type { Migration } from '../../src/db/migrate.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { ModuleDefinition, ReactionContext } from '../../src/runtime/module.js';

export const probeMigrations: Migration[] = [
  { id: '001', sql: 'CREATE TABLE probe_effects (event_id TEXT NOT NULL, attempt INTEGER NOT NULL, handled_at TEXT NOT NULL)' },
];

export type ProbeBehaviour = (event: EventEnvelope, ctx: ReactionContext) => void | Promise<void>;

/** A module named like a real one only because the host's type asks for a module name. */
export function probeModule(types: string[], behaviour: ProbeBehaviour = () => {}): ModuleDefinition {
  return {
    name: 'analytics',
    migrations: probeMigrations,
    create: ({ db }) => {
      const insert = db.prepare('INSERT INTO probe_effects (event_id, attempt, handled_at) VALUES (?, ?, ?)');
      return {
        reactions: [
          {
            name: 'probe.reaction',
            types,
            handle: async (event, ctx) => {
              await behaviour(event, ctx);
              ctx.commit(() => insert.run(event.id, ctx.attempt, new Date().toISOString()));
            },
          },
        ],
      };
    },
  };
}

export function probeEffects(db: { prepare(sql: string): { all(): unknown[] } }): { event_id: string; attempt: number }[] {
  return db.prepare('SELECT event_id, attempt FROM probe_effects ORDER BY rowid').all() as { event_id: string; attempt: number }[];
}
