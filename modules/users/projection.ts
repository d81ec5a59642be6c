// Keeps users_users in step with user.* events (inline, in the command's own transaction).
import type { DomainEvent, Projection } from '../../src/moduleKit.js';
import { evolveUser } from './decide.js';
import { usersRepository as users } from './usersRepository.js';

export const usersProjection: Projection = {
  name: 'users.users',
  types: ['user.created', 'user.updated'],
  tables: ['users_users'],
  async apply(event, tx) {
    const current = event.type === 'user.created' ? undefined : await users.get(tx, event.aggregateId);
    const next = evolveUser(current, event as DomainEvent);
    if (!next) return;
    if (current) await users.update(tx, next);
    else await users.insert(tx, next);
  },
};
