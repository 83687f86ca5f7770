import type * as Nodemailer from 'nodemailer';
import type { SendMailOptions, Transporter } from 'nodemailer';
import type { MailSettings } from '../../config.js';
import { removeAbandonedPartials, writeOutboxMail } from './outbox-mail.js';

/** One e-mail to one person, plain text, with files attached when it has any. */
export interface NotificationMail {
  /**
   * Stable for what is mailed (e.g. `<event seq>-<user id>`): a resend carries the same Message-ID, so a
   * receiver can drop the copy, and in the outbox it overwrites the same file.
   */
  key: string;
  to: string;
  subject: string;
  text: string;
  date: Date;
  /** Files sent along (e.g. a certificate's PDF). */
  attachments?: readonly { filename: string; content: Buffer; contentType: string }[];
}

export interface MailTransport {
  /** Resolves once the mail is handed over: accepted by the SMTP server, or its .eml file is in place. */
  send(mail: NotificationMail): Promise<void>;
}

/**
 * The SMTP server refused the recipient for good (a 5xx reply to RCPT TO): sending again cannot help.
 * Any other failure (connection, timeout, a 4xx reply, authentication) is thrown as a plain Error so
 * the job retries.
 */
export class MailRecipientRefused extends Error {
  override name = 'MailRecipientRefused';
}

/**
 * Every message goes through nodemailer's composer, the same for SMTP and for the outbox: text/plain in
 * UTF-8 with a base64 body, RFC 2047 encoded words where a header is not ASCII, RFC 6532 UTF-8 addresses.
 * The recipient is passed as an address object so that nothing in it is parsed as a second one.
 */
function composed(from: string, mail: NotificationMail): SendMailOptions {
  return {
    from,
    to: { name: '', address: mail.to },
    subject: mail.subject,
    text: mail.text,
    date: mail.date,
    ...(mail.attachments === undefined ? {} : { attachments: mail.attachments.map((file) => ({ ...file })) }),
    messageId: `<${mail.key}@unitrain.local>`,
    // RFC 3834: an automatic message; well-behaved vacation responders do not answer it.
    headers: { 'Auto-Submitted': 'auto-generated' },
    encoding: 'base64',
    textEncoding: 'B',
  };
}

interface SmtpFailure {
  code?: string;
  /** The system error under nodemailer's code, e.g. ECONNREFUSED under ESOCKET. */
  originalCode?: string;
  command?: string;
  responseCode?: number;
}

/**
 * The server's reply text often quotes the address and the error object lists it (`rejected`), and the
 * dispatcher logs and stores what a handler throws: keep only the codes, which say what went wrong.
 */
function deliveryError(error: unknown): Error {
  const { code, originalCode, command, responseCode } = (error ?? {}) as SmtpFailure;
  const what = [[code ?? 'unknown error', originalCode].filter(Boolean).join('/'), command && `at ${command}`, responseCode && `reply ${responseCode}`]
    .filter(Boolean).join(', ');
  if (code === 'EENVELOPE' && command === 'RCPT TO' && responseCode !== undefined && responseCode >= 500) {
    return new MailRecipientRefused(`SMTP server refused the recipient (${what})`);
  }
  return new Error(`SMTP delivery failed (${what})`);
}

/**
 * A job holds its transaction (and on PGlite the only connection) while it sends, and its lease is at least 30 s (JOB_LEASE_MS).
 * So a server that does not answer fails the attempt well before that, and the mails of one job share
 * one connection (handshake and sign-in once, then about two round trips a mail). The connection
 * closes after a second without mail, so none is left open between jobs.
 */
const smtpConnection = { pool: true, maxConnections: 1, idleTimeout: 1_000, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as const;

/** nodemailer is loaded with a process's first mail, not in every start (decision 0050). */
async function createTransporter(options: Parameters<typeof Nodemailer.createTransport>[0]): Promise<Transporter> {
  const { createTransport } = await import('nodemailer');
  return createTransport(options);
}

function smtpTransport(url: string, from: string): MailTransport {
  let transporter: Promise<Transporter> | undefined;
  return {
    async send(mail) {
      const sender = await (transporter ??= createTransporter({ url, ...smtpConnection }));
      try {
        await sender.sendMail(composed(from, mail));
      } catch (error) {
        throw deliveryError(error);
      }
    },
  };
}

function outboxTransport(dir: string, from: string): MailTransport {
  let composer: Promise<Transporter> | undefined;
  // Once per worker, before its first mail: what killed workers left half-written.
  let swept: Promise<unknown> | null = null;
  return {
    async send(mail) {
      swept ??= removeAbandonedPartials(dir);
      await swept;
      const { message } = await (await (composer ??= createTransporter({ streamTransport: true, buffer: true, newline: 'windows' }))).sendMail(composed(from, mail));
      await writeOutboxMail(dir, mail.key, message as Buffer);
    },
  };
}

/** SMTP when SMTP_URL is set, otherwise .eml files under DATA_DIR/outbox; chosen once, when a worker is made. */
export function createMailTransport(settings: MailSettings): MailTransport {
  return settings.smtpUrl === null ? outboxTransport(settings.outboxDir, settings.from) : smtpTransport(settings.smtpUrl, settings.from);
}
