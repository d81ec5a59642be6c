// Keeps users_users in step with user.* events (inline, in the command's own transaction).
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { DomainEvent } from '../../src/events/catalog.js';
import type { Projection } from '../../src/runtime/module.js';
import { evolveUser } from './decide.js';
import type { UsersRepository } from './UsersRepository.js';

export function usersProjection(repo: UsersRepository): Projection {
  return {
    name: 'users.users',
    types: ['user.created', 'user.updated'],
    tables: ['users_users'],
    apply(event: EventEnvelope) {
      const current = event.type === 'user.created' ? undefined : repo.get(event.aggregateId);
      const next = evolveUser(current, event as DomainEvent);
      if (!next) return;
      if (current) repo.update(next);
      else repo.insert(next);
    },
  };
}
