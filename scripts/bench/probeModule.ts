// A module for the bench: one reaction on bill.created writing one row (the trivial effect) beside its inbox row.
import type { ModuleName } from '../../src/config.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { ModuleDefinition } from '../../src/runtime/module.js';

/**
 * `onEvent` runs first thing in the handler: latency cases take their clock reading there. The reaction only writes
 * the database, so it is a transactional one: the runtime records the inbox row and the effect in one transaction,
 * and under load many events share it (what the old synchronous `ctx.commit` handler did).
 */
export function benchProbe(name: string, onEvent: (event: EventEnvelope) => void = () => {}): ModuleDefinition {
  const effect = `INSERT INTO ${name}_effects (event_id) VALUES (?)`;
  return {
    name: name as ModuleName, // not a real module: the cast only satisfies the host's type
    migrations: [{ id: '001', sql: `CREATE TABLE ${name}_effects (event_id TEXT NOT NULL)` }],
    create: () => ({
      reactions: [
        {
          name: `${name}.reaction`,
          types: ['bill.created'],
          apply: async (event, { tx }) => {
            onEvent(event);
            await tx.run(effect, [event.id]);
          },
        },
      ],
    }),
  };
}
