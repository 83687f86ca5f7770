import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMail, writeOutboxMail } from './outbox-mail.js';

const message = {
  from: 'Unitrain <no-reply@unitrain.test>',
  to: 'zoë@example.test',
  subject: 'Cancelled: Erste Hilfe – Grundkurs\r\nBcc: victim@example.test',
  text: `Dear Zoë,\n${'long line '.repeat(30)}\nBye`,
  messageId: '42.abc@unitrain.local',
  date: new Date('2026-11-23T14:31:49Z'),
};

describe('formatMail', () => {
  it('writes RFC 5322 headers with CRLF, encoded words for non-ASCII, and a base64 UTF-8 body in short lines', () => {
    const mail = formatMail(message);
    const [head, body] = mail.split('\r\n\r\n') as [string, string];
    expect(head.split('\r\n')).toEqual([
      'From: Unitrain <no-reply@unitrain.test>',
      `To: =?UTF-8?B?${Buffer.from('zoë@example.test').toString('base64')}?=`,
      `Subject: =?UTF-8?B?${Buffer.from('Cancelled: Erste Hilfe – Grundkurs Bcc: victim@example.test').toString('base64')}?=`,
      'Date: Mon, 23 Nov 2026 14:31:49 +0000',
      'Message-ID: <42.abc@unitrain.local>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
    ]);
    const lines = body.trimEnd().split('\r\n');
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(76);
    expect(Buffer.from(lines.join(''), 'base64').toString('utf8')).toBe(message.text);
    expect(mail).not.toMatch(/[^\r]\n/);
  });

  it('never lets a line break in a header start a new header', () => {
    const mail = formatMail({ ...message, subject: 'Plain\r\nBcc: victim@example.test' });
    expect(mail).toContain('Subject: Plain Bcc: victim@example.test\r\n');
    expect(mail).not.toMatch(/^Bcc:/m);
  });
});

describe('writeOutboxMail', () => {
  it('writes <name>.eml once, overwriting on a second write, and leaves no partial file', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'unitrain-outbox-')), 'outbox');
    try {
      await writeOutboxMail(dir, '42-user', message);
      const path = await writeOutboxMail(dir, '42-user', { ...message, text: 'second' });
      expect(await readdir(dir)).toEqual(['42-user.eml']);
      expect(await readFile(path, 'utf8')).toBe(formatMail({ ...message, text: 'second' }));
    } finally {
      await rm(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
