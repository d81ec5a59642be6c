// The POST rate limit: off unless configured; past the budget, 429 problem+json with Retry-After and no change.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import express from 'express';
import supertest from 'supertest';
import { memoryRateLimitStore } from '../../src/http/rateLimitStore.js';
import { postRateLimit } from '../../src/http/security.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

const user = (i: number) => ({ email: `rl${i}@example.com`, name: `User ${i}` });

describe('security: POST rate limit', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('when RATE_LIMIT_POST_PER_MINUTE is unset, then the limit is off', async () => {
    t = await startTestApp();
    expect(t.app.config.rateLimitPostPerMinute).to.equal(0);
    for (let i = 0; i < 30; i++) await t.http.post('/users').send(user(i)).expect(201);
  });

  it('when a client goes past its budget, then it gets 429 with Retry-After and nothing is written', async () => {
    t = await startTestApp({ RATE_LIMIT_POST_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i++) await t.http.post('/users').send(user(i)).expect(201);
    const res = await t.http.post('/users').send(user(3)).expect(429);
    expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    expect(res.body).to.include({ status: 429, title: 'Too many requests' });
    expect(Number(res.headers['retry-after'])).to.be.within(1, 60);
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    // Reads are not limited, and the refused write left no trace.
    const events = await t.http.get('/events').expect(200);
    expect(events.body.items).to.have.length(3);
  });

  it('when the window ends, then the client may write again; each client has its own budget', async () => {
    const app = express();
    app.set('trust proxy', true); // only so this test can be two clients from one socket
    app.use(postRateLimit(memoryRateLimitStore({ points: 2, windowSeconds: 1 })));
    app.post('/x', (_req, res) => void res.status(201).end());
    app.get('/x', (_req, res) => void res.status(200).end());
    const http = supertest(app);
    const from = (ip: string) => http.post('/x').set('X-Forwarded-For', ip);
    await from('198.51.100.1').expect(201);
    await from('198.51.100.1').expect(201);
    const refused = await from('198.51.100.1').expect(429);
    expect(refused.headers['retry-after']).to.equal('1');
    expect(refused.body.detail).to.equal('at most 2 POST requests per 1 s per client; retry in 1 s');
    await from('198.51.100.2').expect(201);
    await http.get('/x').set('X-Forwarded-For', '198.51.100.1').expect(200);
    await sleep(1100);
    await from('198.51.100.1').expect(201);
  });

  it('refuses a value that cannot work', async () => {
    const { loadConfig, ConfigError } = await import('../../src/config.js');
    expect(() => loadConfig({ RATE_LIMIT_POST_PER_MINUTE: 'lots' })).to.throw(ConfigError, /RATE_LIMIT_POST_PER_MINUTE/);
    // The message names the variable, never its value (a URL may carry a password).
    expect(() => loadConfig({ REDIS_URL: 'http://:hidden-pass@cache:6379' })).to.throw(ConfigError, /^invalid REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL$/);
    expect(loadConfig({ REDIS_URL: 'rediss://:pw@cache.example:6380/2' }).redisUrl).to.equal('rediss://:pw@cache.example:6380/2');
  });
});
