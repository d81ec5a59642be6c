// Documents' projections: the users and bills it checks uploads against, and its documents from document.uploaded.
import type { DomainEvent } from '../../src/events/catalog.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { Projection } from '../../src/runtime/module.js';
import type { DocumentsRepository } from './DocumentsRepository.js';

export function documentsProjections(repo: DocumentsRepository): Projection[] {
  return [
    {
      name: 'documents.users',
      types: ['user.created'],
      tables: ['documents_users'],
      apply(event: EventEnvelope) {
        repo.addUser((event as DomainEvent<'user.created'>).payload.userId);
      },
    },
    {
      name: 'documents.bills',
      types: ['bill.created'],
      tables: ['documents_bills'],
      apply(event: EventEnvelope) {
        const { billId, userId } = (event as DomainEvent<'bill.created'>).payload;
        repo.addBill(billId, userId);
      },
    },
    {
      name: 'documents.documents',
      types: ['document.uploaded'],
      tables: ['documents_documents'],
      apply(event: EventEnvelope) {
        const p = (event as DomainEvent<'document.uploaded'>).payload;
        repo.insert({
          id: p.documentId,
          userId: p.userId,
          billId: p.billId,
          filename: p.filename,
          contentType: p.contentType,
          size: p.size,
          sha256: p.sha256,
          createdAt: event.occurredAt,
        });
      },
    },
  ];
}
