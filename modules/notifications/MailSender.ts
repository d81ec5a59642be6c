// Email delivery through nodemailer: real SMTP when SMTP_URL is set, otherwise one .eml file a message under MAIL_DIR.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
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

export function fileMailSender(dir: string, from: string): MailSender {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    async send(mail) {
      const info = await transport.sendMail(message(from, mail));
      // Temp then rename: a reader never sees half a message; a repeated send overwrites the same file.
      const temp = path.join(dir, `.${randomUUID()}.tmp`);
      // The folder is made on the first send, and again if someone removed it meanwhile.
      await fs.promises.writeFile(temp, info.message as Buffer).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
        await fs.promises.mkdir(dir, { recursive: true });
        await fs.promises.writeFile(temp, info.message as Buffer);
      });
      await fs.promises.rename(temp, path.join(dir, `${mail.id}.eml`));
    },
    close: () => transport.close(),
  };
}

export function createMailSender(config: Pick<Config, 'smtpUrl' | 'smtpPoolSize' | 'mailDir' | 'mailFrom'>): MailSender {
  return config.smtpUrl ? smtpMailSender(config.smtpUrl, config.mailFrom, config.smtpPoolSize) : fileMailSender(config.mailDir, config.mailFrom);
}
