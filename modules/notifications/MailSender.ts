// Email delivery through nodemailer: real SMTP when SMTP_URL is set, otherwise one .eml file a message under MAIL_DIR.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import nodemailer from 'nodemailer';
import type { Config } from '../../src/moduleKit.js';

export interface OutgoingMail {
  /** The notification id: also the Message-ID, so a receiver can drop a repeated send. */
  id: string;
  to: string;
  subject: string;
  text: string;
}

export interface MailSender {
  /** Resolves once the message is accepted (SMTP) or written (file); throws otherwise, so the send is retried. */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

const message = (from: string, mail: OutgoingMail) => ({
  from,
  to: mail.to,
  subject: mail.subject,
  text: mail.text,
  messageId: `<${mail.id}@paybus>`,
  headers: { 'X-Paybus-Notification-Id': mail.id },
});

// nodemailer reads every option from SMTP_URL alone when given `url` (timeouts and pooling passed beside it are
// dropped), so the URL is parsed with its own parser and the options laid over it.
const { parseConnectionUrl } = createRequire(import.meta.url)('nodemailer/lib/shared') as { parseConnectionUrl(url: string): Record<string, unknown> };

/**
 * A pool of SMTP connections, reused from one mail to the next (a connection per mail costs a TCP and SMTP
 * handshake, and TLS with it); several mails go out at once, one per connection.
 */
export function smtpMailSender(url: string, from: string, connections: number): MailSender {
  const transport = nodemailer.createTransport({
    ...parseConnectionUrl(url),
    pool: true,
    maxConnections: connections,
    // Well under nodemailer's minutes-long defaults: a hung server should fail the attempt, not stall the key.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(mail) {
      await transport.sendMail(message(from, mail));
    },
    close: () => transport.close(),
  };
}

// Writing a mail to a file from the event loop costs four threadpool round trips (open, write, close, rename), each
// waking a pool thread; under load those wake-ups and the composing cost more of the loop than the rest of a payment's
// reactions. The spool runs both in a thread of its own: the loop posts the message's fields and hears back once the
// file is in place; the thread takes every mail posted meanwhile in one wake-up.
const SPOOL_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const MailComposer = require(workerData.composer);
const { dir } = workerData;
const write = (name, built) => {
  // Temp then rename: a reader never sees half a message; a repeated send overwrites the same file.
  const temp = path.join(dir, '.' + randomUUID() + '.tmp');
  try {
    fs.writeFileSync(temp, built);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
    // The folder is made on the first send, and again if someone removed it meanwhile.
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(temp, built);
  }
  fs.renameSync(temp, path.join(dir, name));
};
parentPort.on('message', ({ n, name, message }) => {
  new MailComposer(message).compile().build((error, built) => {
    if (!error) {
      try {
        // CRLF throughout, as on the SMTP wire (the composer leaves a text body's own line ends as they are).
        write(name, Buffer.from(built.toString('latin1').replace(/\\r?\\n/g, '\\r\\n'), 'latin1'));
      } catch (caught) {
        error = caught;
      }
    }
    parentPort.postMessage(error ? { n, error: String(error && error.message || error) } : { n });
  });
});
`;

/**
 * One .eml file a message under `dir`, named by the notification id, as nodemailer's MailComposer builds it (the
 * builder of its SMTP transport: CRLF line ends), composed and written by a thread of its own (see SPOOL_SOURCE).
 */
export function fileMailSender(dir: string, from: string): MailSender {
  const composer = createRequire(import.meta.url).resolve('nodemailer/lib/mail-composer');
  const pending = new Map<number, { resolve(): void; reject(error: Error): void }>();
  let sent = 0;
  let spool: Worker | undefined;
  const start = (): Worker => {
    const worker = new Worker(SPOOL_SOURCE, { eval: true, workerData: { composer, dir } });
    worker.unref(); // idle, it keeps no process alive; while mails are in it, it does (see send)
    worker.on('message', ({ n, error }: { n: number; error?: string }) => {
      const waiting = pending.get(n);
      pending.delete(n);
      if (pending.size === 0) worker.unref();
      if (error === undefined) waiting?.resolve();
      else waiting?.reject(new Error(`could not write mail to ${dir}: ${error}`));
    });
    // A thread that died takes its mails with it: they fail (and are retried); the next send starts another.
    const lost = (why: string) => {
      if (spool === worker) spool = undefined;
      for (const waiting of pending.values()) waiting.reject(new Error(`the mail spool thread stopped: ${why}`));
      pending.clear();
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    return worker;
  };
  return {
    send(mail) {
      const n = ++sent;
      return new Promise<void>((resolve, reject) => {
        pending.set(n, { resolve, reject });
        spool ??= start();
        if (pending.size === 1) spool.ref();
        spool.postMessage({ n, name: `${mail.id}.eml`, message: message(from, mail) });
      });
    },
    close() {
      const worker = spool;
      spool = undefined;
      void worker?.terminate();
    },
  };
}

export function createMailSender(config: Pick<Config, 'smtpUrl' | 'smtpPoolSize' | 'mailDir' | 'mailFrom'>): MailSender {
  return config.smtpUrl ? smtpMailSender(config.smtpUrl, config.mailFrom, config.smtpPoolSize) : fileMailSender(config.mailDir, config.mailFrom);
}
