// What the bench and the chaos suite need of a PostgreSQL server of their own: whether it answers, and schemas.
import pg from 'pg';
import { errorMessage } from '../../src/errors.js';

/** The URL without its user and password, for messages. */
export const redacted = (url: string) => url.replace(/\/\/[^@/]*@/, '//');

/** Undefined when PostgreSQL answers at `url`; otherwise why not. */
export async function postgresAbsence(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL does not answer at ${redacted(url)} (${errorMessage(error)})`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** `url` with search_path set to `schema`: every table of its connections lives there. */
export function urlWithSchema(url: string, schema: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
}

/** Runs `sql` (no parameters: schema names are ours) on a connection of its own. */
export async function adminQuery(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}
