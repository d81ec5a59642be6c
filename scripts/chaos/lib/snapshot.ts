// A dump of every table of the database and of the files paybus writes, to prove that refused requests changed nothing.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { InspectedDatabase } from './database.js';

export type Snapshot = Map<string, string>;

/** Columns that move with the clock, not with requests: a lease's holder renews its expiry every few seconds. */
const CLOCK_COLUMNS: Record<string, readonly string[]> = { leases: ['expires_at'] };

/** table name (or folder) → hash of its sorted rows (or file names and sizes). */
export async function snapshot(db: InspectedDatabase, folders: readonly string[]): Promise<Snapshot> {
  const out: Snapshot = new Map();
  for (const table of await db.tables()) {
    const skip = CLOCK_COLUMNS[table] ?? [];
    const kept = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).filter(([column]) => !skip.includes(column)));
    // Table names come from the schema, never from input; quoting covers any odd character.
    const rows = (await db.all(`SELECT * FROM "${table.replaceAll('"', '""')}"`)).map((r) => JSON.stringify(kept(r as Record<string, unknown>))).sort();
    out.set(`table ${table} (${rows.length} rows)`, createHash('sha256').update(rows.join('\n')).digest('hex'));
  }
  for (const folder of folders) {
    const entries = fs.existsSync(folder) ? listFiles(folder).sort() : [];
    out.set(`files ${path.basename(folder)} (${entries.length})`, createHash('sha256').update(entries.join('\n')).digest('hex'));
  }
  return out;
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(full) : [`${full} ${fs.statSync(full).size}`];
  });
}

export function changed(before: Snapshot, after: Snapshot): string[] {
  const keys = new Set([...before.keys(), ...after.keys()].map((k) => k.replace(/ \(.*\)$/, '')));
  const find = (s: Snapshot, k: string) => [...s.entries()].find(([name]) => name.startsWith(`${k} (`));
  return [...keys].filter((k) => {
    const b = find(before, k);
    const a = find(after, k);
    return !b || !a || b[0] !== a[0] || b[1] !== a[1];
  }).map((k) => `${k}: ${find(before, k)?.[0].match(/\((.*)\)/)?.[1]} → ${find(after, k)?.[0].match(/\((.*)\)/)?.[1]}`);
}
