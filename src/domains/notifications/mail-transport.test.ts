import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailTransport, MailRecipientRefused, type NotificationMail } from './mail-transport.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../../test/smtp-test-server.js';

// Real files in a temporary directory and a real SMTP server on a loopback port; no database is involved.
const from = 'Unitrain <no-reply@unitrain.test>';
const mail: NotificationMail = {
  key: '42-5f0c2c1e-9d4b-4a43-a3a4-2b1f8e1d7c11',
  to: 'zoë@example.test',
  subject: 'Cancelled: Erste Hilfe – Grundkurs\r\nBcc: victim@example.test',
  text: `Dear Zoë,\n${'long line '.repeat(30)}\nBye`,
  date: new Date('2026-11-23T14:31:49Z'),
};

let dir: string;
let smtp: TestSmtpServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'unitrain-outbox-'));
  smtp = await startTestSmtpServer();
});
afterAll(async () => {
  await smtp.close();
  await rm(dir, { recursive: true, force: true });
});

async function outboxMail(outboxDir: string, sent: NotificationMail): Promise<string> {
  await createMailTransport({ from, outboxDir, smtpUrl: null }).send(sent);
  return readFile(join(outboxDir, `${sent.key}.eml`), 'utf8');
}

describe('createMailTransport without SMTP_URL: the outbox', () => {
  it('writes <key>.eml: CRLF headers, encoded words for a non-ASCII subject, the UTF-8 address as is, a base64 UTF-8 body in short lines', async () => {
    const eml = await outboxMail(join(dir, 'format'), mail);
    const [head, body] = eml.split('\r\n\r\n') as [string, string];
    const headers = head.replace(/\r\n /g, ' ').split('\r\n');
    expect(headers.sort()).toEqual([
      'Auto-Submitted: auto-generated',
      'Content-Transfer-Encoding: base64',
      'Content-Type: text/plain; charset=utf-8',
      'Date: Mon, 23 Nov 2026 14:31:49 +0000',
      'From: Unitrain <no-reply@unitrain.test>',
      'MIME-Version: 1.0',
      `Message-ID: <${mail.key}@unitrain.local>`,
      expect.stringMatching(/^Subject: =\?UTF-8\?B\?/),
      'To: zoë@example.test',
    ]);
    const subject = headers.find((line) => line.startsWith('Subject: '))!.slice(9);
    const decoded = subject.split(' ').map((word) => Buffer.from(/^=\?UTF-8\?B\?(.*)\?=$/.exec(word)![1]!, 'base64')).reduce((a, b) => Buffer.concat([a, b]));
    expect(decoded.toString('utf8')).toBe('Cancelled: Erste Hilfe – Grundkurs Bcc: victim@example.test');
    const lines = body.trimEnd().split('\r\n');
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(76);
    expect(Buffer.from(lines.join(''), 'base64').toString('utf8')).toBe(mail.text);
    expect(eml).not.toMatch(/[^\r]\n/);
  });

  it('never lets a line break in the subject start a new header, nor an odd address add a recipient', async () => {
    const eml = await outboxMail(join(dir, 'hostile'), { ...mail, subject: 'Plain\r\nBcc: victim@example.test', to: 'ada@example.test, eve@example.test' });
    expect(eml).toContain('\r\nSubject: Plain Bcc: victim@example.test\r\n');
    expect(eml).not.toMatch(/^Bcc:/im);
    expect(eml).toContain('\r\nTo: <"ada@example.test, eve"@example.test>\r\n');
  });

  it('overwrites the same file when the same mail is sent again, and leaves no partial file', async () => {
    const outboxDir = join(dir, 'again');
    await outboxMail(outboxDir, mail);
    const second = await outboxMail(outboxDir, { ...mail, text: 'second' });
    expect(await readdir(outboxDir)).toEqual([`${mail.key}.eml`]);
    expect(second).toContain(`\r\n\r\n${Buffer.from('second').toString('base64')}\r\n`);
  });

  it("removes the partial files of a writer that was killed, and keeps a live writer's", async () => {
    const outboxDir = join(dir, 'killed');
    await mkdir(outboxDir, { recursive: true });
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      const abandoned = `7-someone.eml.${gone.pid}.partial`;
      const inProgress = `8-someone.eml.${live.pid}.partial`;
      await writeFile(join(outboxDir, abandoned), 'half a mess');
      await writeFile(join(outboxDir, inProgress), 'being written');
      await outboxMail(outboxDir, mail);
      expect((await readdir(outboxDir)).sort()).toEqual([`${mail.key}.eml`, inProgress].sort());
    } finally {
      live.kill('SIGKILL');
    }
  });
});

describe('createMailTransport with SMTP_URL', () => {
  it('signs in with the password in the URL and hands the one recipient the very bytes the outbox would write', async () => {
    await createMailTransport({ from, outboxDir: dir, smtpUrl: smtp.url }).send(mail);
    const [received] = smtp.received.splice(0);
    expect(received!.recipients).toEqual(['zoë@example.test']);
    expect(received!.raw).toBe(await outboxMail(join(dir, 'same'), mail));
  });

  it('tells a recipient refused for good (5xx) from failures worth a retry, naming no address and no password', async () => {
    const failure = async (smtpUrl: string) => {
      const error = await createMailTransport({ from, outboxDir: dir, smtpUrl }).send(mail).then(() => null, (thrown: Error) => thrown);
      expect(error).toBeInstanceOf(Error);
      expect(`${error!.message} ${JSON.stringify(error)}`).not.toMatch(/zo|example\.test|p@ss|word/i);
      return error!;
    };
    smtp.refuse = () => 550;
    const refused = await failure(smtp.url);
    expect({ refused: refused instanceof MailRecipientRefused, message: refused.message })
      .toEqual({ refused: true, message: 'SMTP server refused the recipient (EENVELOPE, at RCPT TO, reply 550)' });
    smtp.refuse = () => 451;
    const later = await failure(smtp.url);
    expect({ refused: later instanceof MailRecipientRefused, message: later.message })
      .toEqual({ refused: false, message: 'SMTP delivery failed (EENVELOPE, at RCPT TO, reply 451)' });
    smtp.refuse = () => null;
    const badPassword = await failure(smtp.url.replace('word', 'wort'));
    expect({ refused: badPassword instanceof MailRecipientRefused, message: badPassword.message })
      .toEqual({ refused: false, message: 'SMTP delivery failed (EAUTH, at AUTH PLAIN, reply 535)' });
    const closed = await startTestSmtpServer();
    await closed.close();
    const nobody = await failure(closed.url);
    expect({ refused: nobody instanceof MailRecipientRefused, message: nobody.message })
      .toEqual({ refused: false, message: 'SMTP delivery failed (ESOCKET/ECONNREFUSED, at CONN)' });
    expect(smtp.received).toEqual([]);
  });
});
