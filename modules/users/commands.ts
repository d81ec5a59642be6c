// Users use cases: load state, decide, append (the inline projection updates users_users in the same commit).
import { type Commit, type EventContext, newId } from '../../src/moduleKit.js';
import { decideCreateUser, decideUpdateUser, toUser, type User, type UserChanges } from './decide.js';
import { usersRepository as users } from './usersRepository.js';

export function createUserCommands(commit: Commit) {
  return {
    createUser(input: { email: string; name: string; phone: string | null }, ctx: EventContext): Promise<User> {
      return commit(async ({ tx, append }) => {
        const userId = newId();
        const events = decideCreateUser({ userId, ...input }, await users.getByEmail(tx, input.email), ctx);
        await append(events, { expectedVersion: 0 });
        return toUser((await users.get(tx, userId))!);
      }, { context: ctx });
    },

    updateUser(userId: string, changes: UserChanges, ctx: EventContext): Promise<User> {
      return commit(async ({ tx, append }) => {
        const state = await users.get(tx, userId);
        const owner = changes.email !== undefined ? await users.getByEmail(tx, changes.email) : undefined;
        const events = decideUpdateUser(state, changes, owner, ctx);
        if (events.length > 0) await append(events, { expectedVersion: state!.version });
        return toUser((await users.get(tx, userId))!);
      }, { context: ctx });
    },
  };
}

export type UserCommands = ReturnType<typeof createUserCommands>;
