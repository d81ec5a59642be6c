// The upload rule as a pure function: the uploader and the bill must be known, and the bill must be the uploader's.
import { createDocumentUploadedEvent, type DomainEvent, type EventContext, type PayloadOf, UnprocessableError } from '../../src/moduleKit.js';

/** An upload carries exactly what its document.uploaded event will. */
export type UploadDocument = PayloadOf<'document.uploaded'>;

/** The resource of CONTRACT.md: the document.uploaded facts under `id`, plus when it was stored. */
export type Document = Omit<UploadDocument, 'documentId'> & { id: string; createdAt: string };

export interface UploadFacts {
  userKnown: boolean;
  /** The owner of cmd.billId; undefined when the bill is unknown or none was given. */
  billOwner: string | undefined;
}

export function decideUpload(cmd: UploadDocument, facts: UploadFacts, ctx: EventContext): DomainEvent<'document.uploaded'>[] {
  if (!facts.userKnown) throw new UnprocessableError(`no user with id ${cmd.userId}`, [{ field: 'userId', message: 'no such user' }]);
  if (cmd.billId !== null) {
    if (facts.billOwner === undefined) throw new UnprocessableError(`no bill with id ${cmd.billId}`, [{ field: 'billId', message: 'no such bill' }]);
    if (facts.billOwner !== cmd.userId) {
      throw new UnprocessableError(`bill ${cmd.billId} does not belong to user ${cmd.userId}`, [{ field: 'billId', message: 'belongs to another user' }]);
    }
  }
  const { documentId, userId, billId, filename, contentType, size, sha256 } = cmd;
  return [createDocumentUploadedEvent(documentId, userId, billId, filename, contentType, size, sha256, { ...ctx, version: 1 })];
}
