import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { fileMailSender, type OutgoingMail } from '../../modules/notifications/index.js';
import { tempDir } from '../support/testApp.js';

const mail = (id: string): OutgoingMail => ({ id, to: `${id}@example.com`, subject: `Hello ${id}`, text: `Body of ${id}\nsecond line` });

describe('the file mail sender (no SMTP_URL)', () => {
  it('when many mails are sent at once, then each lands whole as <id>.eml with CRLF line ends and no temp file stays', async () => {
    const dir = path.join(tempDir(), 'mail');
    const sender = fileMailSender(dir, 'paybus@example.com');
    try {
      const ids = Array.from({ length: 50 }, (_, i) => `m${i}`);
      await Promise.all(ids.map((id) => sender.send(mail(id))));
      expect(fs.readdirSync(dir).sort()).to.deep.equal(ids.map((id) => `${id}.eml`).sort());
      const eml = fs.readFileSync(path.join(dir, 'm7.eml'), 'utf8');
      expect(eml).to.contain('To: m7@example.com\r\n').and.contain('Subject: Hello m7\r\n').and.contain('Message-ID: <m7@paybus>\r\n');
      expect(eml).to.contain('Body of m7\r\nsecond line');
    } finally {
      sender.close();
    }
  });

  it('when the folder is removed between sends, then the next send makes it again', async () => {
    const dir = path.join(tempDir(), 'mail');
    const sender = fileMailSender(dir, 'paybus@example.com');
    try {
      await sender.send(mail('first'));
      fs.rmSync(dir, { recursive: true });
      await sender.send(mail('second'));
      expect(fs.readdirSync(dir)).to.deep.equal(['second.eml']);
    } finally {
      sender.close();
    }
  });

  it('when the folder cannot be written, then each send fails naming it, and the spool lives on for the next', async () => {
    const root = tempDir();
    const blocked = path.join(root, 'not-a-folder');
    fs.writeFileSync(blocked, 'a file where the mail folder should be');
    const bad = fileMailSender(blocked, 'paybus@example.com');
    try {
      for (const id of ['x', 'y']) {
        const error = await bad.send(mail(id)).then(() => undefined, (e: Error) => e);
        expect(error?.message).to.contain(`could not write mail to ${blocked}`);
      }
    } finally {
      bad.close();
    }
  });

  it('when the sender is closed with mails still in flight, then those sends fail (to be retried) instead of hanging', async () => {
    const dir = path.join(tempDir(), 'mail');
    const sender = fileMailSender(dir, 'paybus@example.com');
    const sends = Array.from({ length: 20 }, (_, i) => sender.send(mail(`c${i}`)).then(() => 'sent', (e: Error) => e.message));
    sender.close();
    const outcomes = await Promise.all(sends);
    // The thread may write some before it stops; every other one must fail, none may stay pending.
    expect(outcomes.filter((o) => o !== 'sent')).to.not.be.empty;
    for (const o of outcomes.filter((o) => o !== 'sent')) expect(o).to.match(/mail spool thread stopped/);
  });
});
