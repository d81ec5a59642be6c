// Generates requests that must all be refused with a 4xx problem+json: each breaks at least one rule for sure.
import { randomUUID } from 'node:crypto';
import type { Call } from './http.js';

export interface Seed {
  userId: string;
  billId: string;
  paymentId: string;
  documentId: string;
}

const HUGE = 'x'.repeat(60_000);
const FRAGMENTS = ["' OR '1'='1", '1; DROP TABLE users_users; --', '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '${7*7}', '{{constructor.constructor("x")()}}'];
const UNICODE = ['\u202eevil', '😀'.repeat(300), '\u0000', '\ud800', 'Ω≈ç√∫', '\u200b', 'ﷺ'.repeat(100)];
/** Values no typed field accepts as they are (strings handled per field below). */
const WRONG_TYPES: unknown[] = [true, false, [], {}, [1, 2], { $gt: '' }, 1e308, -1e308, 9007199254740993, -1, 0, 1.5, 1e-7];
const JUNK_STRINGS = ['', ' ', HUGE, ...FRAGMENTS, ...UNICODE, '../../etc/passwd', '%00', 'null'];

interface JsonRoute {
  method: string;
  path: string;
  valid: Record<string, unknown>;
  /** Free-text fields: junk there may be valid, so another rule is broken too. */
  freeText: string[];
}

function jsonRoutes(seed: Seed): JsonRoute[] {
  return [
    { method: 'POST', path: '/users', valid: { email: 'valid@chaos.test', name: 'Valid', phone: '+15550003333' }, freeText: ['name'] },
    { method: 'PATCH', path: `/users/${seed.userId}`, valid: { name: 'Valid' }, freeText: ['name'] },
    { method: 'POST', path: '/bills', valid: { userId: seed.userId, amount: 100, currency: 'EUR', dueDate: '2030-01-01', description: 'ok' }, freeText: ['description'] },
    { method: 'POST', path: '/payments', valid: { billId: seed.billId, amount: 100, currency: 'EUR', source: 'tok_visa' }, freeText: [] },
  ];
}

const json = (method: string, path: string, body: string, headers: Record<string, string> = {}): Call => ({ method, path, headers: { 'content-type': 'application/json', ...headers }, body });

/** Breaks one field (and, for free text, the body's shape too). */
function fieldMutations(route: JsonRoute): Call[] {
  const calls: Call[] = [];
  for (const field of Object.keys(route.valid)) {
    const free = route.freeText.includes(field);
    const values = [...WRONG_TYPES, ...JUNK_STRINGS, null];
    for (const value of values) {
      // PATCH phone: null clears the phone (valid); free text may take any string: add an unknown field then.
      const mayBeValid = free || (field === 'phone' && value === null) || (field === 'description' && value === null);
      const body = { ...route.valid, [field]: value, ...(mayBeValid ? { isAdmin: true } : {}) };
      calls.push(json(route.method, route.path, JSON.stringify(body)));
    }
    const missing = { ...route.valid };
    delete missing[field];
    // Without a required field it is invalid; an optional one (phone, description) needs another fault.
    calls.push(json(route.method, route.path, JSON.stringify({ ...missing, ...(route.method === 'PATCH' || field === 'phone' || field === 'description' ? { role: 'admin' } : {}) })));
  }
  calls.push(json(route.method, route.path, JSON.stringify({ ...route.valid, extra: 1 })));
  calls.push(json(route.method, route.path, JSON.stringify({ ...route.valid, __proto__: { admin: true }, constructor: { prototype: {} } })));
  return calls;
}

const MALFORMED = ['{', '{"email":}', '{"a":1,}', "{'a':1}", '', 'null', '[]', '"str"', '123', 'true', '\uFEFF{"a":', 'NaN', '{"a":Infinity}', '[[[[[[[[[[[[[[[[[[[[', '{"a":"\\x"}', `{"a":"${'\\u0000'.repeat(10)}"`];

function bodyMutations(route: JsonRoute): Call[] {
  const calls: Call[] = MALFORMED.map((b) => json(route.method, route.path, b));
  calls.push(json(route.method, route.path, JSON.stringify({ ...route.valid, pad: 'x'.repeat(150_000) })));
  calls.push(json(route.method, route.path, '['.repeat(5000) + ']'.repeat(5000)));
  calls.push(json(route.method, route.path, JSON.stringify({ ...route.valid, extra: 1 }), { 'content-type': 'application/json; charset=latin1' }));
  calls.push(json(route.method, route.path, JSON.stringify({ ...route.valid, extra: 1 }), { 'content-encoding': 'gzip' }));
  calls.push(json(route.method, route.path, JSON.stringify({ ...route.valid, extra: 1 }), { 'content-encoding': 'x-unknown' }));
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data']) {
    calls.push({ method: route.method, path: route.path, headers: { 'content-type': type }, body: 'email=a&name=b<x/>' });
  }
  calls.push({ method: route.method, path: route.path }); // no body at all
  // Malformed Idempotency-Keys, only on bodies that are wrong anyway: a valid key would be remembered.
  for (const key of [' ', 'k'.repeat(300), 'with space', '\t']) calls.push(json(route.method, route.path, JSON.stringify({ ...route.valid, extra: 1 }), { 'idempotency-key': key }));
  return calls;
}

const BAD_IDS = ['..%2f..%2fetc%2fpasswd', '%2e%2e', '%00', '%', '%E0%A4%A', "1'%20OR%20'1'%3D'1", '%3Cscript%3E', 'x'.repeat(3000), randomUUID(), randomUUID().toUpperCase(), '00000000-0000-0000-0000-000000000000', '%20', 'null', 'undefined', '__proto__', 'constructor', '%F0%9F%98%80', '.', '..'];

function pathMutations(): Call[] {
  const calls: Call[] = [];
  for (const id of BAD_IDS) {
    for (const path of [`/users/${id}`, `/bills/${id}`, `/payments/${id}`, `/documents/${id}`, `/documents/${id}/content`, `/users/${id}/bills`]) calls.push({ method: 'GET', path });
    calls.push(json('PATCH', `/users/${id}`, JSON.stringify({ name: 'Nobody' })));
  }
  for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/.env', '/admin/dead-letters', '/admin', '/dashboard/assets/..%2f..%2fconfig.ts', '/dashboard/assets/%2e%2e%2fpackage.json', '/dashboard/assets/nope.js', '/users/', '/bills', '/payments', '/documents', '/notifications/x', '/events/1', '/' + 'a'.repeat(4000)]) {
    calls.push({ method: 'GET', path });
  }
  for (const method of ['DELETE', 'PUT']) for (const path of ['/users', '/bills', '/payments', '/events']) calls.push(json(method, path, '{}'));
  return calls;
}

function queryMutations(): Call[] {
  const q = (path: string): Call => ({ method: 'GET', path });
  const calls = ['', '?userId=', '?userId=abc', '?userId=..%2f', '?userId=%27%20OR%201%3D1', `?userId=${randomUUID()}&userId=${randomUUID()}`, `?userId=${'x'.repeat(3000)}`, '?user=1'].map((s) => q(`/notifications${s}`));
  for (const s of ['?limit=0', '?limit=-1', '?limit=1e9', '?limit=abc', '?after=-1', '?after=x', '?after=1e400', '?type=nope', '?type=bill.created,evil', `?aggregateId=${'x'.repeat(500)}`, '?unknown=1', '?limit=1.5', '?after=%00']) calls.push(q(`/events${s}`));
  return calls;
}

/** One multipart body, built by hand so filenames and types reach the server exactly as written. */
export function multipart(parts: { name: string; value?: string; filename?: string; type?: string; data?: Buffer }[]): { body: Buffer; type: string } {
  const boundary = `chaos${randomUUID().replaceAll('-', '')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}`;
    const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${part.type ? `Content-Type: ${part.type}\r\n` : ''}\r\n`;
    chunks.push(Buffer.from(head, 'utf8'), part.data ?? Buffer.from(part.value ?? '', 'utf8'), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);
const HTML = Buffer.from('<html><script>alert(document.cookie)</script></html>');
const NAMES = ['../../../etc/passwd', '..\\..\\windows\\win.ini', 'a\u0000b.pdf', `${'n'.repeat(3000)}.pdf`, '<script>.pdf', "'; DROP TABLE documents_documents;--.pdf", '/abs/path.pdf', '😀.pdf', ''];

function uploadMutations(seed: Seed, maxUploadBytes: number): Call[] {
  const up = (parts: Parameters<typeof multipart>[0]): Call => {
    const m = multipart(parts);
    return { method: 'POST', path: '/documents', headers: { 'content-type': m.type }, body: m.body };
  };
  const calls: Call[] = [];
  const unknownUser = randomUUID();
  for (const filename of NAMES) {
    // A good file under a tricky name, for a user that does not exist: refused (422) before anything is stored.
    calls.push(up([{ name: 'userId', value: unknownUser }, { name: 'file', filename, type: 'application/pdf', data: PDF }]));
    calls.push(up([{ name: 'userId', value: seed.userId }, { name: 'file', filename, type: 'application/pdf', data: HTML }]));
  }
  for (const [data, type] of [[EXE, 'application/pdf'], [HTML, 'text/html'], [EXE, 'application/octet-stream'], [HTML, 'image/png'], [Buffer.alloc(0), 'application/pdf']] as const) {
    calls.push(up([{ name: 'userId', value: seed.userId }, { name: 'file', filename: 'doc.pdf', type, data }]));
  }
  const big = Buffer.concat([PDF, Buffer.alloc(maxUploadBytes + 1024, 0x20)]);
  calls.push(up([{ name: 'userId', value: seed.userId }, { name: 'file', filename: 'big.pdf', type: 'application/pdf', data: big }]));
  for (const userId of ['', 'abc', '../x', "' OR 1=1", HUGE.slice(0, 5000)]) calls.push(up([{ name: 'userId', value: userId }, { name: 'file', filename: 'a.pdf', type: 'application/pdf', data: PDF }]));
  calls.push(up([{ name: 'userId', value: seed.userId }])); // no file
  calls.push(up([{ name: 'userId', value: seed.userId }, { name: 'upload', filename: 'a.pdf', type: 'application/pdf', data: PDF }]));
  calls.push(up([{ name: 'userId', value: seed.userId }, { name: 'file', filename: 'a.pdf', type: 'application/pdf', data: PDF }, { name: 'file', filename: 'b.pdf', type: 'application/pdf', data: PDF }]));
  calls.push(up([{ name: 'userId', value: seed.userId }, { name: 'billId', value: randomUUID() }, { name: 'file', filename: 'a.pdf', type: 'application/pdf', data: PDF }]));
  calls.push(up([{ name: 'userId', value: seed.userId }, { name: 'admin', value: 'true' }, { name: 'file', filename: 'a.pdf', type: 'application/pdf', data: PDF }]));
  const truncated = multipart([{ name: 'userId', value: seed.userId }, { name: 'file', filename: 'a.pdf', type: 'application/pdf', data: PDF }]);
  calls.push({ method: 'POST', path: '/documents', headers: { 'content-type': truncated.type }, body: truncated.body.subarray(0, truncated.body.length - 40) });
  calls.push({ method: 'POST', path: '/documents', headers: { 'content-type': 'multipart/form-data' }, body: 'no boundary' });
  calls.push(json('POST', '/documents', JSON.stringify({ userId: seed.userId })));
  return calls;
}

/** The fixed catalogue: every route, every kind of fault once. */
export function badRequests(seed: Seed, maxUploadBytes: number): Call[] {
  return [...jsonRoutes(seed).flatMap((r) => [...fieldMutations(r), ...bodyMutations(r)]), ...pathMutations(), ...queryMutations(), ...uploadMutations(seed, maxUploadBytes)];
}

/** More of the same, combined at random: two or three fields broken at once (always invalid). */
export function randomBadRequests(seed: Seed, count: number): Call[] {
  const routes = jsonRoutes(seed);
  const pool: unknown[] = [...WRONG_TYPES, ...JUNK_STRINGS, null];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;
  return Array.from({ length: count }, () => {
    const route = pick(routes);
    const body: Record<string, unknown> = { ...route.valid };
    for (const field of Object.keys(route.valid)) if (Math.random() < 0.6) body[field] = pick(pool);
    body[`x${Math.floor(Math.random() * 1000)}`] = pick(pool); // an unknown field: invalid whatever else is
    return json(route.method, route.path, JSON.stringify(body));
  });
}
