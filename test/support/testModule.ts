// A small module for runtime tests: one reaction whose behaviour the test scripts, and a table of its effects.
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { Migration, ModuleDefinition, ReactionContext, Sql } from '../../src/moduleKit.js';

export const probeMigrations: Migration[] = [
  { id: '001', sql: 'CREATE TABLE probe_effects (seq INTEGER NOT NULL, event_id TEXT NOT NULL, attempt INTEGER NOT NULL, handled_at TEXT NOT NULL)' },
];

export type ProbeBehaviour = (event: EventEnvelope, ctx: ReactionContext) => void | Promise<void>;

let seq = 0;

/** How the probe reaction orders its events (default: by aggregate) and how many keys it handles at once. */
export interface ProbeOptions {
  orderingKey?(event: EventEnvelope): string;
  concurrency?: number;
}

/** A module named like a real one only because the host's type asks for a module name. */
export function probeModule(types: string[], behaviour: ProbeBehaviour = () => {}, options: ProbeOptions = {}): ModuleDefinition {
  return {
    name: 'analytics',
    migrations: probeMigrations,
    create: () => ({
      reactions: [
        {
          name: 'probe.reaction',
          types,
          ...options,
          handle: async (event, ctx) => {
            await behaviour(event, ctx);
            await ctx.commit(({ tx }) => tx.run('INSERT INTO probe_effects (seq, event_id, attempt, handled_at) VALUES (?, ?, ?, ?)', [++seq, event.id, ctx.attempt, new Date().toISOString()]));
          },
        },
      ],
    }),
  };
}

export function probeEffects(db: Sql): Promise<{ event_id: string; attempt: number }[]> {
  return db.all<{ event_id: string; attempt: number }>('SELECT event_id, attempt FROM probe_effects ORDER BY seq');
}
