// Documents' projections: the users and bills it checks uploads against, and its documents from document.uploaded.
import type { DomainEvent, Projection } from '../../src/moduleKit.js';
import { documentsRepository as documents } from './documentsRepository.js';

export const documentsProjections: Projection[] = [
  {
    name: 'documents.users',
    types: ['user.created'],
    tables: ['documents_users'],
    async apply(event, tx) {
      await documents.addUser(tx, (event as DomainEvent<'user.created'>).payload.userId);
    },
  },
  {
    name: 'documents.bills',
    types: ['bill.created'],
    tables: ['documents_bills'],
    async apply(event, tx) {
      const { billId, userId } = (event as DomainEvent<'bill.created'>).payload;
      await documents.addBill(tx, billId, userId);
    },
  },
  {
    name: 'documents.documents',
    types: ['document.uploaded'],
    tables: ['documents_documents'],
    async apply(event, tx) {
      const { documentId, ...facts } = (event as DomainEvent<'document.uploaded'>).payload;
      await documents.insert(tx, { id: documentId, ...facts, createdAt: event.occurredAt });
    },
  },
];
