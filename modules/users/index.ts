// The users module's only public face.
import type { ModuleDefinition } from '../../src/runtime/module.js';
import { createUserCommands } from './commands.js';
import { usersProjection } from './projection.js';
import { usersRoutes } from './routes.js';
import { usersMigrations } from './tables.js';
import { UsersRepository } from './UsersRepository.js';

export const usersModule: ModuleDefinition = {
  name: 'users',
  migrations: usersMigrations,
  create({ db, commit }) {
    const repo = new UsersRepository(db);
    const commands = createUserCommands(repo, commit);
    return {
      projections: [usersProjection(repo)],
      routes: (router) => usersRoutes(router, repo, commands),
    };
  },
};

// Pure rules and the pieces their unit tests drive; no other module may import them (test/architecture.unit.spec.ts).
export { decideCreateUser, decideUpdateUser, evolveUser } from './decide.js';
export type { UserState } from './UsersRepository.js';
