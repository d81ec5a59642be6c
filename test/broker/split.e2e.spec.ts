// The deployment of DESIGN.md: an API process (users, billing, payments, documents) and a worker
// (`npm run worker`: notifications, analytics), each with its own database, together doing the whole story.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { tempDir } from '../support/testApp.js';
import { databaseEnv, dropSchema, onPostgres, schemaFor } from '../support/testStorage.js';
import { type BrokerEnv, brokerEnv, deleteBrokerObjects, requireBroker, waitUntil } from './support/broker.js';
import { exited, killAll, startProcess } from './support/processes.js';

async function call(url: string, method = 'GET', body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: await res.json() };
}

describe('broker mode: API and worker in separate processes', function () {
  this.timeout(60_000);
  requireBroker();

  let env: BrokerEnv;
  let dir: string;
  const children: ChildProcess[] = [];
  after(async () => {
    killAll(children);
    if (env) await deleteBrokerObjects(env);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (dir && onPostgres) for (const name of ['worker', 'api']) await dropSchema(schemaFor(path.join(dir, name)));
  });

  it('creates a user, bills and pays them on the API; the worker notifies and counts', async () => {
    dir = tempDir();
    env = brokerEnv({ PORT: '0', LOG_LEVEL: 'info', RETRY_MIN_MS: '1', RETRY_MAX_MS: '5', PAYMENT_GATEWAY_LATENCY_MS: '1' });
    const own = (name: string) => ({
      ...databaseEnv(path.join(dir, name), path.join(dir, `${name}.db`)),
      UPLOAD_DIR: path.join(dir, name, 'uploads'),
      MAIL_DIR: path.join(dir, name, 'mail'),
      SMS_LOG_PATH: path.join(dir, name, 'sms.log'),
    });
    // The worker first: its queues must exist before the API publishes (queues are declared by their consumers).
    const worker = await startProcess('src/worker.ts', { ...env, ...own('worker'), MODULES: 'notifications,analytics' });
    children.push(worker.proc);
    const api = await startProcess('src/main.ts', { ...env, ...own('api'), MODULES: 'users,billing,payments,documents' });
    children.push(api.proc);
    expect((await call(`${worker.url}/ready`)).status).to.equal(200);
    expect((await call(`${api.url}/ready`)).status).to.equal(200);

    const user = await call(`${api.url}/users`, 'POST', { email: 'split@broker.test', name: 'Split', phone: '+15551234567' });
    expect(user.status).to.equal(201);
    const bill = await call(`${api.url}/bills`, 'POST', { userId: user.body.id, amount: 1250, currency: 'EUR', dueDate: '2030-01-31' });
    expect(bill.status).to.equal(201);
    const payment = await call(`${api.url}/payments`, 'POST', { billId: bill.body.id, amount: 1250, currency: 'EUR', source: 'tok_visa' });
    expect(payment.status).to.equal(201);

    // Billing reacts to payment.success from its queue in the API process.
    await waitUntil(async () => (await call(`${api.url}/bills/${bill.body.id}`)).body.status === 'paid');
    // The worker knows the user's email and phone only from the user.created it received.
    const notifications = async () => (await call(`${worker.url}/notifications?userId=${user.body.id}`)).body.items as { channel: string; template: string }[];
    await waitUntil(async () => (await notifications()).length === 4);
    const sent = (await notifications()).map((n) => `${n.template}/${n.channel}`).sort();
    expect(sent).to.deep.equal(['bill.created/email', 'bill.created/sms', 'payment.success/email', 'payment.success/sms']);
    // Analytics counts every event, the worker's own notification.sent included (they came back through RabbitMQ).
    const summary = async () => (await call(`${worker.url}/analytics/summary`)).body as { totalEvents: number; byType: Record<string, number> };
    await waitUntil(async () => (await summary()).totalEvents === 8);
    expect((await summary()).byType).to.deep.equal({ 'user.created': 1, 'bill.created': 1, 'payment.success': 1, 'bill.paid': 1, 'notification.sent': 4 });

    api.proc.kill('SIGTERM');
    worker.proc.kill('SIGTERM');
    expect(await exited(api.proc)).to.equal(0);
    expect(await exited(worker.proc)).to.equal(0);
  });
});
