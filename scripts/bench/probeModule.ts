// A module for the bench: one reaction on bill.created writing one row (the trivial effect) beside its inbox row.
import type { ModuleName } from '../../src/config.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { ModuleDefinition } from '../../src/runtime/module.js';

/** `onEvent` runs first thing in the handler: latency cases take their clock reading there. */
export function benchProbe(name: string, onEvent: (event: EventEnvelope) => void = () => {}): ModuleDefinition {
  return {
    name: name as ModuleName, // not a real module: the cast only satisfies the host's type
    migrations: [{ id: '001', sql: `CREATE TABLE ${name}_effects (event_id TEXT NOT NULL)` }],
    create: ({ db }) => {
      const effect = db.prepare(`INSERT INTO ${name}_effects (event_id) VALUES (?)`);
      return {
        reactions: [
          {
            name: `${name}.reaction`,
            types: ['bill.created'],
            handle: (event, ctx) => {
              onEvent(event);
              ctx.commit(() => effect.run(event.id));
            },
          },
        ],
      };
    },
  };
}
