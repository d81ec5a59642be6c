// The registry of domain modules: the only place the runtime imports them, and only through their index.ts.
import type { ModuleName } from './config.js';
import type { ModuleDefinition } from './runtime/module.js';
import { usersModule } from '../modules/users/index.js';

export const moduleDefinitions: Partial<Record<ModuleName, ModuleDefinition>> = {
  users: usersModule,
};
