// SMS delivery behind a provider interface; the default provider appends one JSON line a message to SMS_LOG_PATH.
import fs from 'node:fs';
import path from 'node:path';

export interface OutgoingSms {
  id: string;
  to: string;
  text: string;
}

export interface SmsProvider {
  /** Resolves once the provider took the message; throws otherwise, so the send is retried. */
  send(sms: OutgoingSms): Promise<void>;
}

export class LogFileSmsProvider implements SmsProvider {
  constructor(private readonly file: string) {}

  async send(sms: OutgoingSms): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const line = JSON.stringify({ at: new Date().toISOString(), id: sms.id, to: sms.to, text: sms.text });
    await fs.promises.appendFile(this.file, `${line}\n`);
  }
}
