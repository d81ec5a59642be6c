// Documents use case: check the bytes, write them durably under a generated name, then commit the event.
import { createHash } from 'node:crypto';
import { type Commit, type EventContext, newId, type Sql, ValidationError } from '../../src/moduleKit.js';
import { checkContentType } from './contentType.js';
import { decideUpload, type Document, type UploadDocument } from './decide.js';
import { documentsRepository as documents } from './documentsRepository.js';
import type { FileStore } from './FileStore.js';
import { sanitiseFilename } from './filename.js';

export interface UploadInput {
  userId: string;
  billId: string | null;
  file: { buffer: Buffer; mimetype: string; originalname: string } | undefined;
}

export function createDocumentCommands({ db, commit }: { db: Sql; commit: Commit }, files: FileStore) {
  // A caller bound to one user does not learn that another user's bill exists: to them it is no bill at all.
  const facts = async (sql: Sql, cmd: UploadDocument, boundTo: string | null) => {
    const billOwner = cmd.billId === null ? undefined : await documents.billOwnerOf(sql, cmd.billId);
    return { userKnown: await documents.hasUser(sql, cmd.userId), billOwner: boundTo !== null && billOwner !== boundTo ? undefined : billOwner };
  };

  return {
    /** `boundTo`: the caller acts for this user only, and another user's bill is no bill to it (422 "no such bill"). */
    async uploadDocument(input: UploadInput, ctx: EventContext, boundTo: string | null = null): Promise<Document> {
      const { file } = input;
      if (!file) throw new ValidationError([{ field: 'file', message: 'is required' }]);
      if (file.buffer.length === 0) throw new ValidationError([{ field: 'file', message: 'must not be empty' }]);
      const contentType = await checkContentType(file.mimetype, file.buffer);
      const cmd: UploadDocument = {
        documentId: newId(),
        userId: input.userId,
        billId: input.billId,
        filename: sanitiseFilename(file.originalname),
        contentType,
        size: file.buffer.length,
        sha256: createHash('sha256').update(file.buffer).digest('hex'),
      };
      decideUpload(cmd, await facts(db, cmd, boundTo), ctx); // fail fast, before any byte is written
      // The file is whole on disk before the event commits: a committed event never points at a missing file.
      await files.write(cmd.documentId, file.buffer);
      try {
        const document = await commit(async ({ tx, append }) => {
          await append(decideUpload(cmd, await facts(tx, cmd, boundTo), ctx), { expectedVersion: 0 });
          return (await documents.get(tx, cmd.documentId))!;
        }, { context: ctx });
        // The request's Idempotency-Key had committed its upload in a process that died before answering: that
        // document is the answer, and the bytes written again here belong to nothing.
        if (document.id !== cmd.documentId) await files.remove(cmd.documentId);
        return document;
      } catch (error) {
        await files.remove(cmd.documentId);
        throw error;
      }
    },
  };
}
