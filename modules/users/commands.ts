// Users use cases: load state, decide, append (the inline projection updates users_users in the same commit).
import { randomUUID } from 'node:crypto';
import type { EventContext } from '../../src/events/envelope.js';
import type { Commit } from '../../src/runtime/module.js';
import { decideCreateUser, decideUpdateUser, type UserChanges } from './decide.js';
import { toUser, type User, type UsersRepository } from './UsersRepository.js';

export function createUserCommands(repo: UsersRepository, commit: Commit) {
  return {
    createUser(input: { email: string; name: string; phone: string | null }, ctx: EventContext): User {
      return commit((uow) => {
        const userId = randomUUID();
        const events = decideCreateUser({ userId, ...input }, repo.getByEmail(input.email), ctx);
        uow.append(events, { expectedVersion: 0 });
        return toUser(repo.get(userId)!);
      });
    },

    updateUser(userId: string, changes: UserChanges, ctx: EventContext): User {
      return commit((uow) => {
        const state = repo.get(userId);
        const owner = changes.email !== undefined ? repo.getByEmail(changes.email) : undefined;
        const events = decideUpdateUser(state, changes, owner, ctx);
        if (events.length > 0) uow.append(events, { expectedVersion: state!.version });
        return toUser(repo.get(userId)!);
      });
    },
  };
}
