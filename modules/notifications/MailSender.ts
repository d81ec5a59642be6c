// Email delivery through nodemailer: real SMTP when SMTP_URL is set, otherwise one .eml file a message under MAIL_DIR.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
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

export function smtpMailSender(url: string, from: string): MailSender {
  // Timeouts well under nodemailer's minutes-long defaults: a hung server should fail the attempt, not stall the mailbox.
  const transport = nodemailer.createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
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

export function createMailSender(config: Pick<Config, 'smtpUrl' | 'mailDir' | 'mailFrom'>): MailSender {
  return config.smtpUrl ? smtpMailSender(config.smtpUrl, config.mailFrom) : fileMailSender(config.mailDir, config.mailFrom);
}
