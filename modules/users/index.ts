// The users module's only public face.
import type { ModuleDefinition } from '../../src/moduleKit.js';
import { createUserCommands } from './commands.js';
import { usersProjection } from './projection.js';
import { usersRoutes } from './routes.js';
import { usersMigrations } from './tables.js';

export const usersModule: ModuleDefinition = {
  name: 'users',
  migrations: usersMigrations,
  create({ db, commit }) {
    const commands = createUserCommands(commit);
    return {
      projections: [usersProjection],
      routes: (router) => usersRoutes(router, db, commands),
    };
  },
};

// Pure rules and the pieces their unit tests drive; no other module may import them (test/architecture.unit.spec.ts).
export { decideCreateUser, decideUpdateUser, evolveUser, type UserState } from './decide.js';
