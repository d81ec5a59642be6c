// Errors the storage engines raise in their own words, read the same way whichever engine raised them.

/** A unique index or primary key refused a row (SQLite SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY, PostgreSQL 23505). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** Thrown when a statement runs on a transaction that has ended or that the engine has rolled back. */
export class TransactionClosedError extends Error {
  override name = 'TransactionClosedError';
}
