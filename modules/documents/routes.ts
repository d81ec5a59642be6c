// HTTP routes of the documents module: check the caller, parse, call one command or query, map.
import { createHash } from 'node:crypto';
import type { Request, Router } from 'express';
import { boundUser, type ModuleDeps, mustActFor, NotFoundError, parseIdParam, parseWith, requestContext, requestHash, requireScope, type Sql, visibleTo } from '../../src/moduleKit.js';
import type { createDocumentCommands } from './commands.js';
import { documentsRepository as documents } from './documentsRepository.js';
import type { FileStore } from './FileStore.js';
import { contentDisposition } from './filename.js';
import { uploadFields } from './schema.js';
import { uploadMiddleware } from './upload.js';

/** What an Idempotency-Key is bound to for an upload: the fields and the file (its bytes by hash, its type and name). */
function uploadHash(req: Request): string {
  const file = req.file && { sha256: createHash('sha256').update(req.file.buffer).digest('hex'), type: req.file.mimetype, name: req.file.originalname };
  return requestHash(req.method, req.originalUrl, { fields: { ...req.body }, file: file ?? null });
}

export function documentsRoutes(
  router: Router,
  deps: { db: Sql; files: FileStore; commands: ReturnType<typeof createDocumentCommands>; maxUploadBytes: number; idempotentRequest: ModuleDeps['idempotentRequest'] },
): void {
  const { db, files, commands } = deps;

  // The shared idempotency middleware skips multipart: the key is checked here, once multer has read the body.
  // The scope first: a caller without it costs no upload.
  router.post('/documents', requireScope('documents:write'), uploadMiddleware(deps.maxUploadBytes), deps.idempotentRequest(uploadHash), async (req, res) => {
    const fields = parseWith(uploadFields, req.body ?? {});
    mustActFor(res, fields.userId);
    const document = await commands.uploadDocument({ userId: fields.userId, billId: fields.billId ?? null, file: req.file }, requestContext(res), boundUser(res));
    res.status(201).location(`/documents/${document.id}`).json(document);
  });

  router.get('/documents/:id', requireScope('documents:read'), async (req, res) => {
    const id = parseIdParam(req.params.id, 'document');
    const document = visibleTo(res, await documents.get(db, id), (d) => d.userId);
    if (!document) throw new NotFoundError(`no document with id ${id}`);
    res.json(document);
  });

  router.get('/documents/:id/content', requireScope('documents:read'), async (req, res) => {
    const id = parseIdParam(req.params.id, 'document');
    const document = visibleTo(res, await documents.get(db, id), (d) => d.userId);
    if (!document) throw new NotFoundError(`no document with id ${id}`);
    const bytes = await files.read(id).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new NotFoundError(`the content of document ${id} is not available`);
      throw error;
    });
    // Served bytes came from a client: never let a browser reinterpret or run them.
    res.set({
      'Content-Type': document.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : document.contentType,
      'Content-Disposition': contentDisposition(document.filename),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': 'private, no-store',
    });
    res.send(bytes);
  });
}
