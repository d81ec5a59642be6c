// Thousands of bad requests at every route: every answer a 4xx problem+json, none a 5xx, nothing changed afterwards.
// `bad-input-auth` runs the same with auth on: each request carries a token with every scope (so the same faults
// reach the same checks), plus requests with no, malformed, forged, expired or scope-less credentials.
import path from 'node:path';
import { SCOPES } from '../../../src/auth/scopes.js';
import { TestIdentityProvider } from '../../lib/identityProvider.js';
import { audit } from '../lib/audit.js';
import { badCredentialCalls } from '../lib/badCredentials.js';
import { badRequests, multipart, randomBadRequests, type Seed } from '../lib/badRequests.js';
import { Deployment } from '../lib/deployment.js';
import { type Answer, type Call, postJson, send } from '../lib/http.js';
import { outcome } from '../lib/report.js';
import { changed, snapshot } from '../lib/snapshot.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../lib/types.js';
import { emptyAccepted } from '../lib/workload.js';

const MAX_UPLOAD = 64 * 1024;
/** A stack frame, a source path, a module path or either engine's own error text: what an error body must never show. */
const LEAK =
  /\bat [^\n]+:\d+:\d+|\/work\/|\/home\/|\/tmp\/|node_modules|\.ts:\d+|SqliteError|SQLITE_|duplicate key value|violates [a-z ]*constraint|syntax error at or near|invalid input syntax for|current transaction is aborted|relation "[^"]*" does not exist/;

const id = (a: Answer) => (JSON.parse(a.text) as { id: string }).id;

async function seed(base: string, auth: Record<string, string>): Promise<Seed> {
  const userId = id(await postJson(base, '/users', { email: 'seed@chaos.test', name: 'Seed', phone: '+15550004444' }, auth));
  const paidBill = id(await postJson(base, '/bills', { userId, amount: 100, currency: 'EUR', dueDate: '2030-01-01' }, auth));
  const paymentId = id(await postJson(base, '/payments', { billId: paidBill, amount: 100, currency: 'EUR', source: 'tok_visa' }, auth));
  const billId = id(await postJson(base, '/bills', { userId, amount: 100, currency: 'EUR', dueDate: '2030-01-01' }, auth));
  const m = multipart([{ name: 'userId', value: userId }, { name: 'file', filename: 'note.txt', type: 'text/plain', data: Buffer.from('hello') }]);
  const documentId = id(await send(base, { method: 'POST', path: '/documents', headers: { 'content-type': m.type, ...auth }, body: m.body }));
  return { userId, billId, paymentId, documentId };
}

/** A call with the deployment's credentials, unless it brings its own. */
const withAuth = (call: Call, auth: Record<string, string>): Call => (call.headers?.authorization !== undefined ? call : { ...call, headers: { ...call.headers, ...auth } });

/** The catalogue, the random faults, and with auth on the credential faults: every call as it is sent. */
async function callsFor(s: Seed, total: number, idp: TestIdentityProvider | undefined, auth: Record<string, string>): Promise<{ calls: Call[]; fixed: number }> {
  const fixed = badRequests(s, MAX_UPLOAD).map((c) => withAuth(c, auth));
  const creds = idp ? await badCredentialCalls(idp, s) : { anonymous: [], credentialed: [] };
  const catalogue = [...fixed, ...creds.anonymous, ...creds.credentialed];
  const random = randomBadRequests(s, Math.max(0, total - catalogue.length)).map((c) => withAuth(c, auth));
  return { calls: [...catalogue, ...random], fixed: catalogue.length };
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

export const badInput = badInputScenario('bad-input', false);
export const badInputWithAuth = badInputScenario('bad-input-auth', true);

function badInputScenario(name: string, withAuthOn: boolean): Scenario {
  return {
    name,
    run: (ctx) => runBadInput(ctx, name, withAuthOn),
  };
}

async function runBadInput(ctx: ScenarioContext, name: string, withAuthOn: boolean): Promise<Omit<ScenarioResult, 'name' | 'seconds'>> {
  const idp = withAuthOn ? await TestIdentityProvider.start() : undefined;
  try {
    const d = await Deployment.create(ctx, name, { MAX_UPLOAD_BYTES: String(MAX_UPLOAD), ...idp?.env() });
    try {
      if (idp) d.headers = { authorization: `Bearer ${await idp.token({ sub: 'chaos-bad-input', scope: SCOPES.join(' ') }, { expiresIn: 3600 })}` };
      return await badInputOn(ctx, d, idp);
    } finally {
      await d.cleanup();
    }
  } finally {
    await idp?.close();
  }
}

async function badInputOn(ctx: ScenarioContext, d: Deployment, idp: TestIdentityProvider | undefined): Promise<Omit<ScenarioResult, 'name' | 'seconds'>> {
  const acc = emptyAccepted();
  const p = await d.start();
  const s = await seed(p.url, d.headers);
  acc.users.push(s.userId);
  acc.bills.push(s.billId);
  acc.payments.push(s.paymentId);
  const folders = ['uploads', 'mail'].map((f) => path.join(d.dir, f));
  const first = await audit(d, p.url, acc, 30_000);
  const before = await snapshot(d.db, folders);

  const { calls, fixed } = await callsFor(s, ctx.quick ? 2_000 : 6_000, idp, d.headers);
  ctx.log(`${calls.length} bad requests (${fixed} from the catalogue)${idp ? ', auth on' : ''}`);
  const fired = await fire(p.url, calls, Date.now() + (ctx.quick ? 60_000 : 180_000));

  const a = await audit(d, p.url, acc, 30_000);
  const after = await snapshot(d.db, folders);
  const diff = changed(before, after);
  await p.kill('SIGTERM');
  const wrongAnswers = [...fired.problems.values()].reduce((x, y) => x + y, 0);
  const notes = [
    `${fired.sent} bad requests: ${[...fired.byStatus].sort(([x], [y]) => x - y).map(([st, n]) => `${n}×${st}`).join(', ')}`,
    ...(wrongAnswers > 0 ? [`${wrongAnswers} improper answers: ${[...fired.problems].map(([k, n]) => `${n}× ${k}`).join('; ')}`, ...fired.examples] : []),
    ...(diff.length > 0 ? [`changed: ${diff.join('; ')}`] : ['every table and folder unchanged']),
    ...(a.eventsLogged !== first.eventsLogged ? [`event log grew from ${first.eventsLogged} to ${a.eventsLogged}`] : []),
  ];
  const ok = wrongAnswers === 0 && diff.length === 0 && fired.sent === calls.length && a.eventsLogged === first.eventsLogged;
  return outcome(1, a, notes, { badRequests: fired.sent, wrongAnswers, changedTables: diff.length }, ok);
}

/** Sends the calls from 16 connections until done or the deadline, judging each answer. */
async function fire(url: string, calls: Call[], deadline: number) {
  const problems = new Map<string, number>();
  const examples: string[] = [];
  const byStatus = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < calls.length && Date.now() < deadline) {
      const call = calls[next++]!;
      const a = await send(url, call).catch((e: Error) => ({ status: 0, contentType: '', text: e.message, headers: {}, ms: 0 }) as Answer);
      byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
      const wrong = verdict(a);
      if (!wrong) continue;
      problems.set(wrong, (problems.get(wrong) ?? 0) + 1);
      if (examples.length < 8) examples.push(`${label(call)} → ${wrong}: ${a.text.slice(0, 120)}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { sent: Math.min(next, calls.length), byStatus, problems, examples };
}
