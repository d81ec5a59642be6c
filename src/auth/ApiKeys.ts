// API keys for services without an identity provider: `pbk_<id>_<secret>`, shown once, stored as sha256 of the
// secret. Lookup is by id; the secret is compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { NotFoundError } from '../errors.js';
import type { Migration } from '../storage/migrate.js';
import type { Sql } from '../storage/Storage.js';
import type { Caller } from './Caller.js';

export const apiKeyMigrations: Migration[] = [
  {
    id: '001-api-keys',
    sql: `
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        secret_sha256 TEXT NOT NULL,
        name TEXT,
        scopes TEXT NOT NULL,
        user_id TEXT,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      );
    `,
  },
];

/** An API key as an operator sees it: never its secret, nor the secret's hash. */
export interface ApiKeyInfo {
  id: string;
  name: string | null;
  scopes: string[];
  /** Set: the key acts for this user only. */
  userId: string | null;
  createdAt: string;
  revokedAt: string | null;
}

interface KeyRow {
  id: string;
  hash: string;
  name: string | null;
  scopes: string;
  userId: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** 16 hex digits of id, then 32 random bytes as base64url: 256 bits a guesser must find. */
const KEY = /^pbk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const COLUMNS = 'id, secret_sha256 AS hash, name, scopes, user_id AS "userId", created_at AS "createdAt", revoked_at AS "revokedAt"';
const SQL = {
  insert: 'INSERT INTO api_keys (id, secret_sha256, name, scopes, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  byId: `SELECT ${COLUMNS} FROM api_keys WHERE id = ?`,
  all: `SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`,
  revoke: 'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  active: 'SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL',
};

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();
/** Compared against when the id is unknown, so an unknown id costs the same time as a wrong secret. */
const NOTHING = sha256('');

export const API_KEY_PREFIX = 'pbk_';

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export class ApiKeys {
  constructor(private readonly db: Sql) {}

  /** Makes a key; the returned `key` is the only time its secret exists outside the caller's hands. */
  async create(input: { scopes: readonly string[]; userId?: string | null; name?: string | null }): Promise<ApiKeyInfo & { key: string }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const createdAt = new Date().toISOString();
    const scopes = [...new Set(input.scopes)];
    await this.db.run(SQL.insert, [id, sha256(secret).toString('hex'), input.name ?? null, scopes.join(' '), input.userId ?? null, createdAt]);
    return { id, name: input.name ?? null, scopes, userId: input.userId ?? null, createdAt, revokedAt: null, key: `${API_KEY_PREFIX}${id}_${secret}` };
  }

  async list(): Promise<ApiKeyInfo[]> {
    return (await this.db.all<KeyRow>(SQL.all)).map(info);
  }

  /** Stops the key at once: every process reads keys from the database on each request. */
  async revoke(id: string): Promise<ApiKeyInfo> {
    await this.db.run(SQL.revoke, [new Date().toISOString(), id]);
    const row = await this.db.one<KeyRow>(SQL.byId, [id]);
    if (!row) throw new NotFoundError(`no API key ${id}`);
    return info(row);
  }

  /** Keys not revoked: at least one at start turns auth on. */
  async countActive(): Promise<number> {
    return Number(await this.db.value(SQL.active));
  }

  /** The caller a key stands for, or undefined when it is malformed, unknown, wrong or revoked. */
  async verify(key: string): Promise<Caller | undefined> {
    const parts = KEY.exec(key);
    if (!parts) return undefined;
    const row = await this.db.one<KeyRow>(SQL.byId, [parts[1]!]);
    const expected = row ? Buffer.from(row.hash, 'hex') : NOTHING;
    const matches = timingSafeEqual(sha256(parts[2]!), expected.length === NOTHING.length ? expected : NOTHING);
    if (!row || !matches || row.revokedAt !== null) return undefined;
    return { subject: `apikey:${row.id}`, scopes: new Set(row.scopes.split(' ').filter(Boolean)), userId: row.userId };
  }
}

function info(row: KeyRow): ApiKeyInfo {
  return { id: row.id, name: row.name, scopes: row.scopes.split(' ').filter(Boolean), userId: row.userId, createdAt: row.createdAt, revokedAt: row.revokedAt };
}
