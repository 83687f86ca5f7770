import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** Without angle brackets, e.g. 42.5f0c…@unitrain.local */
  messageId: string;
  date: Date;
}

const crlf = '\r\n';

/** RFC 2047 encoded-word for a header that is not plain ASCII; plain ASCII stays as it is. */
function headerText(value: string): string {
  const oneLine = value.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(oneLine) ? oneLine : `=?UTF-8?B?${Buffer.from(oneLine, 'utf8').toString('base64')}?=`;
}

/** Lines of at most 76 characters, as RFC 2045 asks of a base64 body. */
function base64Lines(text: string): string {
  return (Buffer.from(text, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join(crlf);
}

/**
 * A minimal RFC 5322 message: single-part text/plain in UTF-8, base64 so that no line is too long and
 * no character is lost. Addresses must already be valid (no header injection: line breaks are removed).
 */
export function formatMail(message: MailMessage): string {
  const headers = [
    `From: ${headerText(message.from)}`,
    `To: ${headerText(message.to)}`,
    `Subject: ${headerText(message.subject)}`,
    `Date: ${message.date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${headerText(message.messageId)}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
  ];
  return `${headers.join(crlf)}${crlf}${crlf}${base64Lines(message.text)}${crlf}`;
}

/**
 * Without SMTP the mail goes to `<dir>/<name>.eml`. Written under a temporary name and renamed, so a
 * reader never sees half a file; a retried job writes the same name again instead of a second file.
 */
export async function writeOutboxMail(dir: string, name: string, message: MailMessage): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.eml`);
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, formatMail(message), 'utf8');
  await rename(partial, path);
  return path;
}
