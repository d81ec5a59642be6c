// `npm run chaos [-- --quick] [--out FILE] [--only NAME[,NAME]] [--storage sqlite|postgres]`: fault-injection scenarios
// against real paybus processes, each deployment on its own SQLite file (the default) or its own PostgreSQL schema.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { postgresAbsence, type StorageKind } from './lib/database.js';
import { closeIdleSockets } from './lib/http.js';
import type { Scenario, ScenarioResult } from './lib/types.js';
import { SCENARIOS } from './scenarios/index.js';
import { errorMessage } from '../../src/errors.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, only: { type: 'string' }, storage: { type: 'string', default: 'sqlite' } } });
const quick = values.quick ?? false;
if (values.storage !== 'sqlite' && values.storage !== 'postgres') {
  process.stderr.write(`chaos: --storage takes sqlite or postgres, not ${values.storage}\n`);
  process.exit(2);
}
const storage: StorageKind = values.storage;
const absent = storage === 'postgres' ? await postgresAbsence() : undefined;
if (absent) {
  process.stderr.write(`chaos: --storage postgres, but ${absent}\n`);
  process.exit(2);
}
const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = (only ?? []).filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length > 0) {
  process.stderr.write(`chaos: unknown scenario ${unknown.join(', ')} (known: ${SCENARIOS.map((s) => s.name).join(', ')})\n`);
  process.exit(2);
}
const chosen: Scenario[] = SCENARIOS.filter((s) => (only ? only.includes(s.name) : !(quick && s.fullOnly)));

async function runOne(s: Scenario): Promise<ScenarioResult> {
  const started = performance.now();
  const log = (m: string) => process.stderr.write(`  [${s.name}] ${m}\n`);
  try {
    const r = await s.run({ quick, storage, log });
    return { name: s.name, ...r, seconds: Math.round((performance.now() - started) / 100) / 10 };
  } catch (error) {
    const message = errorMessage(error);
    log(`failed: ${message}`);
    return { name: s.name, runs: 0, eventsLogged: 0, eventsDelivered: 0, lost: 0, duplicateEffects: 0, doubleCharges: 0, notes: [`scenario failed: ${message.split('\n')[0]}`], ok: false, metrics: {}, seconds: Math.round((performance.now() - started) / 100) / 10 };
  }
}

function table(results: readonly ScenarioResult[]): string {
  const head = ['scenario', 'runs', 'logged', 'delivered', 'lost', 'dupEffects', 'dblCharges', 'ok', 'secs', 'notes'];
  const rows = results.map((r) => [r.name, r.runs, r.eventsLogged, r.eventsDelivered, r.lost, r.duplicateEffects, r.doubleCharges, r.ok ? 'yes' : 'NO', r.seconds, r.notes.join('; ')].map(String));
  const widths = head.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c)).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

const started = Date.now();
process.stderr.write(`paybus chaos (${quick ? 'quick' : 'full'}, ${storage}): ${chosen.map((s) => s.name).join(', ')}\n`);
const results: ScenarioResult[] = [];
for (const s of chosen) results.push(await runOne(s));
closeIdleSockets();
const passed = results.every((r) => r.ok && r.lost === 0 && r.duplicateEffects === 0 && r.doubleCharges === 0);
const summary = { mode: quick ? 'quick' : 'full', storage, startedAt: new Date(started).toISOString(), seconds: Math.round((Date.now() - started) / 1000), passed, scenarios: results };
process.stdout.write(`\n${table(results)}\n\n${passed ? 'chaos: every scenario lost nothing, applied nothing twice and charged no bill twice' : 'chaos: FAILED'} (${summary.seconds} s)\n`);
if (values.out) fs.writeFileSync(values.out, `${JSON.stringify(summary, null, 2)}\n`);
process.exit(passed ? 0 : 1);
