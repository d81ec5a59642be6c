// Thousands of bad requests at every route: every answer a 4xx problem+json, none a 5xx, nothing changed afterwards.
import path from 'node:path';
import { audit } from '../lib/audit.js';
import { badRequests, multipart, randomBadRequests, type Seed } from '../lib/badRequests.js';
import { Deployment } from '../lib/deployment.js';
import { type Answer, type Call, postJson, send } from '../lib/http.js';
import { outcome } from '../lib/report.js';
import { changed, snapshot } from '../lib/snapshot.js';
import type { Scenario } from '../lib/types.js';
import { emptyAccepted } from '../lib/workload.js';

const MAX_UPLOAD = 64 * 1024;
/** A stack frame, a source path, a module path or either engine's own error text: what an error body must never show. */
const LEAK =
  /\bat [^\n]+:\d+:\d+|\/work\/|\/home\/|\/tmp\/|node_modules|\.ts:\d+|SqliteError|SQLITE_|duplicate key value|violates [a-z ]*constraint|syntax error at or near|invalid input syntax for|current transaction is aborted|relation "[^"]*" does not exist/;

const id = (a: Answer) => (JSON.parse(a.text) as { id: string }).id;

async function seed(base: string): Promise<Seed> {
  const userId = id(await postJson(base, '/users', { email: 'seed@chaos.test', name: 'Seed', phone: '+15550004444' }));
  const paidBill = id(await postJson(base, '/bills', { userId, amount: 100, currency: 'EUR', dueDate: '2030-01-01' }));
  const paymentId = id(await postJson(base, '/payments', { billId: paidBill, amount: 100, currency: 'EUR', source: 'tok_visa' }));
  const billId = id(await postJson(base, '/bills', { userId, amount: 100, currency: 'EUR', dueDate: '2030-01-01' }));
  const m = multipart([{ name: 'userId', value: userId }, { name: 'file', filename: 'note.txt', type: 'text/plain', data: Buffer.from('hello') }]);
  const documentId = id(await send(base, { method: 'POST', path: '/documents', headers: { 'content-type': m.type }, body: m.body }));
  return { userId, billId, paymentId, documentId };
}

/** What is wrong with one answer, or undefined when it is a proper refusal. */
function verdict(a: Answer): string | undefined {
  if (a.status < 400 || a.status > 499) return `status ${a.status}`;
  if (!a.contentType.startsWith('application/problem+json')) return `${a.status} as ${a.contentType || 'no content type'}`;
  let body: { status?: unknown; title?: unknown; detail?: unknown };
  try {
    body = JSON.parse(a.text) as typeof body;
  } catch {
    return `${a.status} body is not JSON`;
  }
  if (body.status !== a.status || typeof body.title !== 'string' || typeof body.detail !== 'string') return `${a.status} body is not a problem`;
  if (LEAK.test(a.text)) return `${a.status} body leaks internals`;
  if (a.headers['x-content-type-options'] !== 'nosniff') return `${a.status} without security headers`;
  return undefined;
}

const label = (c: Call) => `${c.method} ${c.path.slice(0, 40)}`;

export const badInput: Scenario = {
  name: 'bad-input',
  async run(ctx) {
    const d = await Deployment.create(ctx, 'bad-input', { MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
    const acc = emptyAccepted();
    try {
      const p = await d.start();
      const s = await seed(p.url);
      acc.users.push(s.userId);
      acc.bills.push(s.billId);
      acc.payments.push(s.paymentId);
      const folders = ['uploads', 'mail'].map((f) => path.join(d.dir, f));
      const first = await audit(d, p.url, acc, 30_000);
      const before = await snapshot(d.db, folders);

      const fixed = badRequests(s, MAX_UPLOAD);
      const total = Math.max(fixed.length, ctx.quick ? 2_000 : 6_000);
      const calls = [...fixed, ...randomBadRequests(s, total - fixed.length)];
      ctx.log(`${calls.length} bad requests (${fixed.length} from the catalogue)`);
      const problems = new Map<string, number>();
      const examples: string[] = [];
      const byStatus = new Map<number, number>();
      let next = 0;
      const deadline = Date.now() + (ctx.quick ? 60_000 : 180_000);
      const worker = async () => {
        while (next < calls.length && Date.now() < deadline) {
          const call = calls[next++]!;
          const a = await send(p.url, call).catch((e: Error) => ({ status: 0, contentType: '', text: e.message, headers: {}, ms: 0 }) as Answer);
          byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
          const wrong = verdict(a);
          if (!wrong) continue;
          problems.set(wrong, (problems.get(wrong) ?? 0) + 1);
          if (examples.length < 8) examples.push(`${label(call)} → ${wrong}: ${a.text.slice(0, 120)}`);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      const sent = Math.min(next, calls.length);

      const a = await audit(d, p.url, acc, 30_000);
      const after = await snapshot(d.db, folders);
      const diff = changed(before, after);
      await p.kill('SIGTERM');
      const wrongAnswers = [...problems.values()].reduce((x, y) => x + y, 0);
      const notes = [
        `${sent} bad requests: ${[...byStatus].sort(([x], [y]) => x - y).map(([st, n]) => `${n}×${st}`).join(', ')}`,
        ...(wrongAnswers > 0 ? [`${wrongAnswers} improper answers: ${[...problems].map(([k, n]) => `${n}× ${k}`).join('; ')}`, ...examples] : []),
        ...(diff.length > 0 ? [`changed: ${diff.join('; ')}`] : ['every table and folder unchanged']),
        ...(a.eventsLogged !== first.eventsLogged ? [`event log grew from ${first.eventsLogged} to ${a.eventsLogged}`] : []),
      ];
      const ok = wrongAnswers === 0 && diff.length === 0 && sent === calls.length && a.eventsLogged === first.eventsLogged;
      return outcome(1, a, notes, { badRequests: sent, wrongAnswers, changedTables: diff.length }, ok);
    } finally {
      await d.cleanup();
    }
  },
};
