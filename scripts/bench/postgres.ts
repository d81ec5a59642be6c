// PostgreSQL for the pg.* cases: is it there, a fresh schema per side and run, and the schemas dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { adminQuery, postgresAbsence as serverAbsence, urlWithSchema as withSchema } from '../lib/postgresServer.js';
import { type BenchCase, type BenchOptions, type BenchResult, skippedResult } from './harness.js';
import { errorMessage } from '../../src/errors.js';

/** The server the bench uses: BENCH_DATABASE_URL, else the local one (trust auth). Never DATABASE_URL: that may be a deployment's. */
export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Undefined when PostgreSQL answers; otherwise the reason, printed in the row instead of a number. */
export const postgresAbsence = () => serverAbsence(BENCH_DATABASE_URL);

/** `SELECT version()` of the bench's server, or null when it does not answer (for the machine line of --out). */
export async function postgresVersion(): Promise<string | null> {
  if (await postgresAbsence()) return null;
  return ((await adminQuery(BENCH_DATABASE_URL, 'SHOW server_version')).rows[0] as { server_version: string }).server_version;
}

/** The bench URL with search_path set to `schema`: every table of that connection lives there. */
export function urlWithSchema(schema: string): string {
  return withSchema(BENCH_DATABASE_URL, schema);
}

/**
 * Fresh schemas for one case, each a name no other run uses; `drop` removes them and everything in them. Created
 * here (not left to PostgresStorage) so the raw side gets its own the same way.
 */
export async function benchSchemas(what: string, sides: readonly string[]): Promise<{ names: string[]; drop(): Promise<void> }> {
  const tag = randomBytes(4).toString('hex');
  const names = sides.map((side) => `paybus_bench_${what}_${side}_${tag}`.replace(/[^a-z0-9_]/g, '_'));
  const admin = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  admin.on('error', () => {});
  await admin.connect();
  try {
    for (const name of names) await admin.query(`CREATE SCHEMA "${name}"`);
  } catch (error) {
    await admin.end().catch(() => {});
    throw error;
  }
  return {
    names,
    async drop() {
      try {
        for (const name of names) await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await admin.end().catch(() => {});
      }
    },
  };
}

/** A PostgreSQL case: skipped (with the reason) when the server does not answer, never given a made-up number. */
export function postgresCase(name: string, unit: string, target: string, run: (options: BenchOptions) => Promise<BenchResult | BenchResult[]>, fullOnly = false): BenchCase {
  return {
    name,
    fullOnly,
    async run(options) {
      const absent = await postgresAbsence();
      if (absent) {
        process.stderr.write(`  ${name} skipped: ${absent}\n`);
        return skippedResult(name, unit, target, absent);
      }
      try {
        return await run(options);
      } catch (error) {
        // A server that went away mid-case makes the row say so; any other failure is a defect and stops the bench.
        const gone = await postgresAbsence();
        if (!gone) throw error;
        const reason = `PostgreSQL failed during the case (${errorMessage(error)}; now: ${gone})`;
        process.stderr.write(`  ${name} skipped: ${reason}\n`);
        return skippedResult(name, unit, target, reason);
      }
    },
  };
}
