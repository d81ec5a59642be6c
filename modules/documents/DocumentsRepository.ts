// Data access for the documents tables: plain objects in and out, prepared statements only.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../src/db/openDatabase.js';
import type { PayloadOf } from '../../src/events/catalog.js';

/** The resource of CONTRACT.md: the document.uploaded facts under `id`, plus when it was stored. */
export type Document = Omit<PayloadOf<'document.uploaded'>, 'documentId'> & { id: string; createdAt: string };

const COLUMNS = 'id, user_id AS userId, bill_id AS billId, filename, content_type AS contentType, size, sha256, created_at AS createdAt';

export class DocumentsRepository {
  private readonly byId: Statement;
  private readonly insertRow: Statement;
  private readonly userExists: Statement;
  private readonly insertUser: Statement;
  private readonly billOwner: Statement;
  private readonly insertBill: Statement;

  constructor(db: Db) {
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM documents_documents WHERE id = ?`);
    this.insertRow = db.prepare(
      `INSERT INTO documents_documents (id, user_id, bill_id, filename, content_type, size, sha256, created_at)
       VALUES (@id, @userId, @billId, @filename, @contentType, @size, @sha256, @createdAt)`,
    );
    this.userExists = db.prepare('SELECT 1 FROM documents_users WHERE id = ?').pluck();
    this.insertUser = db.prepare('INSERT OR IGNORE INTO documents_users (id) VALUES (?)');
    this.billOwner = db.prepare('SELECT user_id FROM documents_bills WHERE id = ?').pluck();
    this.insertBill = db.prepare('INSERT OR IGNORE INTO documents_bills (id, user_id) VALUES (?, ?)');
  }

  get(id: string): Document | undefined {
    return this.byId.get(id) as Document | undefined;
  }

  insert(document: Document): void {
    this.insertRow.run(document);
  }

  hasUser(userId: string): boolean {
    return this.userExists.get(userId) !== undefined;
  }

  addUser(userId: string): void {
    this.insertUser.run(userId);
  }

  /** The user a bill belongs to, or undefined for a bill documents has not heard of. */
  billOwnerOf(billId: string): string | undefined {
    return this.billOwner.get(billId) as string | undefined;
  }

  addBill(billId: string, userId: string): void {
    this.insertBill.run(billId, userId);
  }
}
