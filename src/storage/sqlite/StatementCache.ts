// The prepared statements of one better-sqlite3 connection, by text, and how the port's modes run them.
import type Database from 'better-sqlite3';
import type { Statement as Prepared } from 'better-sqlite3';
import type { Params } from '../Storage.js';
import type { QueryMode } from '../TransactionScope.js';

/** The prepared statements of one connection, by text (and plucked: first column only). */
export class StatementCache {
  private readonly plain = new Map<string, Prepared>();
  private readonly plucked = new Map<string, Prepared>();

  constructor(readonly db: Database.Database) {}

  get(text: string, pluck = false): Prepared {
    const cache = pluck ? this.plucked : this.plain;
    let statement = cache.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      if (pluck) statement.pluck();
      cache.set(text, statement);
    }
    return statement;
  }
}

export function execute(statements: StatementCache, mode: QueryMode, text: string, params: Params): unknown {
  switch (mode) {
    case 'all':
      return statements.get(text).all(...params);
    case 'one':
      return statements.get(text).get(...params);
    case 'value':
      return statements.get(text, true).get(...params);
    case 'run':
      return statements.get(text).run(...params).changes;
  }
}
