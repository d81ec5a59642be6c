import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { decideUpload, type UploadDocument } from '../../modules/documents/index.js';
import { UnprocessableError } from '../../src/errors.js';

const userId = randomUUID();
const billId = randomUUID();
const cmd = (over: Partial<UploadDocument> = {}): UploadDocument => ({
  documentId: randomUUID(),
  userId,
  billId: null,
  filename: 'a.pdf',
  contentType: 'application/pdf',
  size: 10,
  sha256: 'a'.repeat(64),
  ...over,
});

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(UnprocessableError);
    return (error as UnprocessableError).errors?.[0]?.field;
  }
  throw new Error('expected an UnprocessableError');
}

describe('documents decideUpload', () => {
  it('given a known user, when uploading without a bill, then document.uploaded at version 1', () => {
    const c = cmd();
    const [event] = decideUpload(c, { userKnown: true, billOwner: undefined }, { correlationId: 'c1', causationId: null });
    expect(event).to.include({ type: 'document.uploaded', aggregateId: c.documentId, version: 1 });
    expect(event!.payload).to.deep.equal({ documentId: c.documentId, userId, billId: null, filename: 'a.pdf', contentType: 'application/pdf', size: 10, sha256: 'a'.repeat(64) });
    expect(event!.metadata.correlationId).to.equal('c1');
  });

  it('given the user owns the bill, when uploading for it, then the event names the bill', () => {
    const [event] = decideUpload(cmd({ billId }), { userKnown: true, billOwner: userId }, {});
    expect(event!.payload.billId).to.equal(billId);
  });

  it('given an unknown user, an unknown bill or a bill of another user, then 422 naming the field', () => {
    expect(fieldOf(() => decideUpload(cmd(), { userKnown: false, billOwner: undefined }, {}))).to.equal('userId');
    expect(fieldOf(() => decideUpload(cmd({ billId }), { userKnown: true, billOwner: undefined }, {}))).to.equal('billId');
    expect(fieldOf(() => decideUpload(cmd({ billId }), { userKnown: true, billOwner: randomUUID() }, {}))).to.equal('billId');
  });
});
