import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { expect } from 'chai';
import { scrubSecrets } from '../../src/logger.js';
import { tempDir } from '../support/testApp.js';
import { databaseEnv } from '../support/testStorage.js';

const ADMIN_TOKEN = 'adm-Secret-Token-4471';
const SMTP_PASS = 'smtp-Pass-7731';
const RABBIT_PASS = 'rabbit-Pass-5512';
const RABBIT_PASS_OVERRIDE = 'rabbit-Override-8830';
const SECRETS = [ADMIN_TOKEN, SMTP_PASS, RABBIT_PASS, RABBIT_PASS_OVERRIDE];

describe('secrets stay out of logs and error responses', () => {
  let child: ChildProcess | undefined;
  let output = '';
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  async function startServer(): Promise<string> {
    const dir = tempDir();
    const smtpUrl = `smtp://mailer:${SMTP_PASS}@127.0.0.1:1`;
    child = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/ops/support/serveWithProbe.ts')], {
      env: {
        ...process.env,
        PORT: '0',
        ...databaseEnv(dir, path.join(dir, 'paybus.db')),
        UPLOAD_DIR: path.join(dir, 'uploads'),
        MAIL_DIR: path.join(dir, 'mail'),
        SMS_LOG_PATH: path.join(dir, 'sms.log'),
        MODULES: 'users',
        LOG_LEVEL: 'debug',
        RETRY_ATTEMPTS: '2',
        RETRY_MIN_MS: '1',
        RETRY_MAX_MS: '5',
        ADMIN_TOKEN,
        SMTP_URL: smtpUrl,
        RABBITMQ_URL: `amqp://rabbit:${RABBIT_PASS}@127.0.0.1:5672`,
        RABBITMQ_PASS: RABBIT_PASS_OVERRIDE,
        // A handler error that quotes them all, as a careless library might.
        PROBE_POISON_MESSAGE: `send via ${smtpUrl} failed; pass=${RABBIT_PASS_OVERRIDE} token=${ADMIN_TOKEN}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    output = '';
    child.stderr!.on('data', (d) => (output += String(d)));
    return new Promise((resolve, reject) => {
      child!.stdout!.on('data', (d) => {
        output += String(d);
        const port = /"port":(\d+)/.exec(output)?.[1];
        if (port) resolve(`http://127.0.0.1:${port}`);
      });
      child!.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
    });
  }

  it('never writes ADMIN_TOKEN, the SMTP and RabbitMQ passwords or an Authorization header, in logs or answers', async () => {
    const base = await startServer();
    const answers: string[] = [];
    const call = async (p: string, init: RequestInit = {}) => {
      const res = await fetch(base + p, init);
      answers.push(`${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`);
      return res;
    };
    const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const json = { 'content-type': 'application/json' };
    await call('/users', { method: 'POST', headers: { ...json, ...bearer }, body: JSON.stringify({ email: 'p@s.test', name: 'poison pill' }) });
    await call('/users', { method: 'POST', headers: { ...json, ...bearer }, body: '{broken' });
    await call('/users', { method: 'POST', headers: json, body: JSON.stringify({ email: ADMIN_TOKEN, name: SMTP_PASS }) });
    await call('/admin/dead-letters', { headers: { authorization: `Bearer ${SMTP_PASS}` } });
    // Wait for the dead letter (the poison handler failed twice and logged both failures); no deadline of its
    // own: one that never comes fails on the test's timeout.
    let letters: { id: string; error: string }[] = [];
    for (;;) {
      letters = ((await (await fetch(`${base}/admin/dead-letters`, { headers: bearer })).json()) as { items: typeof letters }).items;
      if (letters.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(letters).to.have.length(1);
    await call(`/admin/dead-letters/${letters[0]!.id}`, { headers: bearer });
    await call(`/admin/dead-letters/${letters[0]!.id}/retry`, { method: 'POST', headers: bearer });
    await call('/admin/dead-letters', { headers: bearer });
    await call('/dashboard/data');
    await call('/metrics');
    child!.kill('SIGTERM');
    await once(child!, 'exit');

    // The failure was logged and answered: only the secrets were taken out of it.
    expect(output).to.include('event dead-lettered');
    expect(output).to.include('send via smtp://mailer:***@127.0.0.1:1 failed');
    expect(answers.join('\n')).to.include('send via smtp://mailer:***@127.0.0.1:1 failed; pass=*** token=***');
    for (const secret of SECRETS) {
      expect(output, `log contains ${secret}`).not.to.include(secret);
      expect(answers.join('\n'), `an answer contains ${secret}`).not.to.include(secret);
    }
  });

  it('scrubs URL credentials and literal secrets, also when JSON escaped them', () => {
    expect(scrubSecrets('amqp://u:p4ss@h/v and smtps://x:y@z', [])).to.equal('amqp://u:***@h/v and smtps://x:***@z');
    expect(scrubSecrets(JSON.stringify({ msg: 'tok "q"uote here' }), ['tok "q"uote'])).to.equal('{"msg":"*** here"}');
    expect(scrubSecrets('a short abc stays', ['abc'])).to.equal('a short abc stays');
  });
});
