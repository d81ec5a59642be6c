// The documents module's only public face.
import type { ModuleDefinition } from '../../src/moduleKit.js';
import { createDocumentCommands } from './commands.js';
import { FileStore } from './FileStore.js';
import { documentsProjections } from './projection.js';
import { documentsRoutes } from './routes.js';
import { documentsMigrations } from './tables.js';

export const documentsModule: ModuleDefinition = {
  name: 'documents',
  migrations: documentsMigrations,
  create({ db, commit, config, idempotentRequest }) {
    const files = new FileStore(config.uploadDir);
    files.sweepTemp();
    const commands = createDocumentCommands({ db, commit }, files);
    return {
      projections: documentsProjections,
      routes: (router) => documentsRoutes(router, { db, files, commands, maxUploadBytes: config.maxUploadBytes, idempotentRequest }),
    };
  },
};

// Pure rules and the pieces their unit tests drive; no other module may import them (test/architecture.unit.spec.ts).
export { checkContentType, isPlainText, normaliseDeclaredType } from './contentType.js';
export { decideUpload, type UploadDocument } from './decide.js';
export { contentDisposition, sanitiseFilename } from './filename.js';
