// The documents read model: documents from document.uploaded, and the users and bills documents must know about.
import type { Migration } from '../../src/moduleKit.js';

export const documentsMigrations: Migration[] = [
  {
    id: '001-documents',
    sql: `
      CREATE TABLE documents_users (
        id TEXT PRIMARY KEY
      );
      CREATE TABLE documents_bills (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL
      );
      CREATE TABLE documents_documents (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        bill_id TEXT,
        filename TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX documents_documents_user ON documents_documents (user_id);
    `,
  },
];
