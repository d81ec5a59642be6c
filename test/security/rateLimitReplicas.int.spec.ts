// The POST rate limit over several replicas: one budget per client address, kept in Redis (REDIS_URL) or in
// PostgreSQL (the replicas' shared database); and what happens when the shared store does not answer.
import fs from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { type AppOptions, createApp, type PaybusApp } from '../../src/createApp.js';
import { RATE_LIMIT_TABLE } from '../../src/http/rateLimitStore.js';
import { createLogger } from '../../src/logger.js';
import { secretsOf } from '../../src/ops/redact.js';
import { deleteKeys, requireRedis, TEST_REDIS_URL, uniqueKeyPrefix } from '../support/redis.js';
import { tempDir, testConfig } from '../support/testApp.js';
import { dropSchema, onPostgres, schemaFor } from '../support/testStorage.js';

// Two real client addresses on loopback: the limit keys on the socket's peer, so no `trust proxy` is needed.
const ALICE = '127.0.0.2';
const BOB = '127.0.0.3';

interface Replica {
  app: PaybusApp;
  base: string;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

let emails = 0;
const newUser = () => ({ email: `replica${++emails}-${process.pid}@example.com`, name: 'Replica User' });

/** POST /users from the loopback address `from`, as a client on that address would. */
function postUser(replica: Replica, from: string): Promise<Answer> {
  const payload = JSON.stringify(newUser());
  return new Promise((resolve, reject) => {
    const req = http.request(`${replica.base}/users`, { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += String(chunk)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function statuses(replica: Replica, from: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await postUser(replica, from)).status);
  return out;
}

function expectTooManyRequests(answer: Answer, limit: number): void {
  expect(answer.status).to.equal(429);
  expect(answer.headers['content-type']).to.match(/application\/problem\+json/);
  expect(answer.body).to.include({ status: 429, title: 'Too many requests' });
  expect(answer.body.detail).to.match(new RegExp(`at most ${limit} POST requests per \\d+ s per client`));
  expect(Number(answer.headers['retry-after'])).to.be.within(1, 60);
}

describe('security: POST rate limit over several replicas', () => {
  const started: PaybusApp[] = [];
  const dirs: string[] = [];

  /** A replica serving on a free port; `dir` shared by two replicas means one database (one schema on PostgreSQL). */
  async function replica(env: Record<string, string>, options: AppOptions = {}, dir = tempDir()): Promise<Replica> {
    if (!dirs.includes(dir)) dirs.push(dir);
    const app = await createApp(testConfig({ MODULES: 'users', ...env }, dir), options);
    started.push(app);
    await app.start();
    const server = await app.listen();
    return { app, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  afterEach(async () => {
    for (const app of started.splice(0)) await app.stop();
    for (const dir of dirs.splice(0)) {
      fs.rmSync(dir, { recursive: true, force: true });
      if (onPostgres) await dropSchema(schemaFor(dir));
    }
  });

  describe('in Redis (REDIS_URL)', () => {
    let keyPrefix: string;
    before(async function () {
      await requireRedis(this);
    });
    beforeEach(() => (keyPrefix = uniqueKeyPrefix()));
    afterEach(async () => deleteKeys(keyPrefix));

    it('when a client spreads its POSTs over two replicas, then they share one budget; another client has its own', async () => {
      const env = { RATE_LIMIT_POST_PER_MINUTE: '3', REDIS_URL: TEST_REDIS_URL };
      const a = await replica(env, { rateLimit: { keyPrefix } });
      const b = await replica(env, { rateLimit: { keyPrefix } });

      expect([...(await statuses(a, ALICE, 2)), ...(await statuses(b, ALICE, 1))]).to.deep.equal([201, 201, 201]);
      expectTooManyRequests(await postUser(b, ALICE), 3);
      expectTooManyRequests(await postUser(a, ALICE), 3);
      expect([...(await statuses(b, BOB, 1)), ...(await statuses(a, BOB, 2))]).to.deep.equal([201, 201, 201]);
      expect((await postUser(a, BOB)).status).to.equal(429);
    });

    it('when the window ends, then the client may write again, on either replica', async () => {
      const env = { RATE_LIMIT_POST_PER_MINUTE: '2', REDIS_URL: TEST_REDIS_URL };
      const a = await replica(env, { rateLimit: { keyPrefix, windowSeconds: 1 } });
      const b = await replica(env, { rateLimit: { keyPrefix, windowSeconds: 1 } });

      expect([...(await statuses(a, ALICE, 1)), ...(await statuses(b, ALICE, 1))]).to.deep.equal([201, 201]);
      const refused = await postUser(a, ALICE);
      expectTooManyRequests(refused, 2);
      expect(refused.headers['retry-after']).to.equal('1');
      await sleep(1100);
      expect(await statuses(b, ALICE, 1)).to.deep.equal([201]);
    });
  });

  // Two replicas on one database need PostgreSQL: a SQLite file is one process's, which counts in its memory.
  (onPostgres ? describe : describe.skip)('in PostgreSQL (the shared DATABASE_URL, PostgreSQL pass only)', () => {
    it('when a client spreads its POSTs over two replicas on one database, then they share one budget; another client has its own', async () => {
      const dir = tempDir();
      const env = { RATE_LIMIT_POST_PER_MINUTE: '3' };
      const a = await replica(env, {}, dir);
      const b = await replica(env, {}, dir);

      expect([...(await statuses(b, ALICE, 1)), ...(await statuses(a, ALICE, 2))]).to.deep.equal([201, 201, 201]);
      expectTooManyRequests(await postUser(a, ALICE), 3);
      expectTooManyRequests(await postUser(b, ALICE), 3);
      expect([...(await statuses(a, BOB, 2)), ...(await statuses(b, BOB, 1))]).to.deep.equal([201, 201, 201]);
      // The counters live beside paybus's tables, in the schema DATABASE_URL names, not in public.
      const where = await a.app.storage.all<{ table_schema: string }>('SELECT table_schema FROM information_schema.tables WHERE table_name = ?', [RATE_LIMIT_TABLE]);
      expect(where.map((r) => r.table_schema)).to.deep.equal([schemaFor(dir)]);
    });
  });

  describe('when the shared store does not answer', () => {
    it('then no POST fails for it: each replica counts in its memory, and the log says so without the password', async () => {
      const password = 'redis-Secret-Pass-6604';
      const lines: string[] = [];
      const log = createLogger('debug', new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
      const env = { RATE_LIMIT_POST_PER_MINUTE: '2', REDIS_URL: `redis://:${password}@127.0.0.1:${await closedPort()}` };
      // No secrets handed to this logger: the password must be absent because nothing wrote it, not because it was scrubbed.
      const a = await replica(env, { log });

      expect(await statuses(a, ALICE, 2)).to.deep.equal([201, 201]);
      expectTooManyRequests(await postUser(a, ALICE), 2);
      expect(await statuses(a, BOB, 1)).to.deep.equal([201]);
      const text = lines.join('');
      expect(text).to.match(/POST rate limit: Redis 127\.0\.0\.1:\d+ cannot count/);
      expect(text).not.to.include(password);
      expect(secretsOf(a.app.config)).to.include(password);
    });
  });
});

/** A loopback port nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
