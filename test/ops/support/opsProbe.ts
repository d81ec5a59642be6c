// A test module for the operations tests: a reaction chain that emits events caused by events, and a reaction
// whose failures the test controls (retries, dead letters, a retry that succeeds once it is "fixed").
import { createUserUpdatedEvent } from '../../../src/events/catalog.js';
import { causedBy } from '../../../src/events/envelope.js';
import type { ModuleDefinition } from '../../../src/runtime/module.js';

export interface ProbeControl {
  /** While true, users named "poison…" fail every attempt. */
  poisonFails: boolean;
  /** Events of users named "flaky…" fail their first attempt only. */
  seenFlaky: Set<string>;
  /** Thrown message for poison events (lets a test put a secret into an error). */
  poisonMessage: string;
}

export function probeControl(): ProbeControl {
  return { poisonFails: true, seenFlaky: new Set(), poisonMessage: 'downstream refused the event' };
}

/** Named like a real module only because the host's type asks for a module name; tests load it with MODULES=users. */
export function opsProbeModule(control: ProbeControl): ModuleDefinition {
  return {
    name: 'notifications',
    migrations: [],
    create: ({ store }) => ({
      reactions: [
        {
          // user.created → user.updated(step-1) → user.updated(step-2): each caused by the one before. Database
          // only, so a transactional reaction: its events commit with the record that it handled the cause.
          name: 'opsprobe.chain',
          types: ['user.created', 'user.updated'],
          apply: async (event, uow, ctx) => {
            const changes = (event.payload as { changes?: { name?: string } }).changes;
            const next = event.type === 'user.created' ? 'step-1' : changes?.name === 'step-1' ? 'step-2' : undefined;
            if (!next) return;
            ctx.log.info({ next }, 'chain step');
            const version = await store.currentVersion(event.aggregateId, uow.tx);
            await uow.append([createUserUpdatedEvent(event.aggregateId, { name: next }, causedBy(event, version + 1))], { expectedVersion: version });
          },
        },
        {
          name: 'opsprobe.flaky',
          types: ['user.created'],
          handle: async (event, ctx) => {
            const name = String(event.payload.name);
            if (name.startsWith('poison') && control.poisonFails) throw new Error(control.poisonMessage);
            if (name.startsWith('flaky') && !control.seenFlaky.has(event.id)) {
              control.seenFlaky.add(event.id);
              throw new Error('transient failure');
            }
            ctx.log.debug('probe handled');
          },
        },
      ],
    }),
  };
}
