import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message with its headers and text read back. */
export interface ReadMail {
  raw: string;
  /** Header names in lower case; folded lines joined, RFC 2047 encoded words decoded. */
  headers: Record<string, string>;
  /** The base64 body, decoded. */
  text: string;
}

/** A message as the SMTP server received it. */
export interface ReceivedMail extends ReadMail {
  /** RCPT TO of the envelope. */
  recipients: string[];
  /** The id of the SMTP connection it came over. */
  connection: string;
}

export interface TestSmtpServer {
  /** smtp://user:password@127.0.0.1:<port> */
  url: string;
  received: ReceivedMail[];
  /** Replies to RCPT TO with this code (e.g. 451 for "try later", 550 for "no such user") while it returns one. */
  refuse: (address: string) => number | null;
  /** Awaited before each RCPT TO is answered: a test looks at the sender while it waits for the server. */
  whileSending: () => Promise<void>;
  close(): Promise<void>;
}

const decodedWords = (value: string) =>
  value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?UTF-8\?B\?([^?]*)\?=/gi, (_, base64: string) => Buffer.from(base64, 'base64').toString('utf8'));

export function readMail(raw: string): ReadMail {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = decodedWords(line.slice(colon + 1).trim());
  }
  return { raw, headers, text: Buffer.from(body.replace(/\r\n/g, ''), 'base64').toString('utf8') };
}

/**
 * A real SMTP server on a loopback port that keeps what it receives. It asks for the password in the
 * URL (over plain text: loopback only), and offers no STARTTLS, which its self-signed certificate
 * would fail.
 */
export async function startTestSmtpServer(credentials = { user: 'unitrain', password: 'p@ss:word/1' }): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const state: TestSmtpServer = { url: '', received, refuse: () => null, whileSending: async () => {}, close: async () => {} };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    disableReverseLookup: true,
    onAuth(auth, _session, callback) {
      const valid = auth.username === credentials.user && auth.password === credentials.password;
      callback(valid ? null : Object.assign(new Error('Invalid username or password'), { responseCode: 535 }), valid ? { user: auth.username } : undefined);
    },
    onRcptTo(address, _session, callback) {
      const answer = () => {
        const code = state.refuse(address.address);
        callback(code === null ? null : Object.assign(new Error(`Mailbox ${address.address} unavailable`), { responseCode: code }));
      };
      // A hook that fails answers with its error, which fails the send and so the test.
      state.whileSending().then(answer, (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({ recipients: session.envelope.rcptTo.map((to) => to.address), connection: session.id, ...readMail(Buffer.concat(chunks).toString('utf8')) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  state.url = `smtp://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
  state.close = () => new Promise<void>((resolve) => server.close(resolve));
  return state;
}

/** One part of a multipart message: its headers (lower-case names) and its body, base64 decoded. */
export interface MailPart {
  headers: Record<string, string>;
  content: Buffer;
}

/** The parts of a multipart/mixed message (a text and its attachments), as nodemailer writes them. */
export function mailParts(raw: string): MailPart[] {
  const { headers } = readMail(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(headers['content-type'] ?? '')?.[1];
  if (!boundary) throw new Error(`not a multipart message: ${headers['content-type']}`);
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return body.split(`--${boundary}`).slice(1, -1).map((part) => {
    const trimmed = part.replace(/^\r\n/, '');
    const [head = '', content = ''] = trimmed.split('\r\n\r\n');
    const partHeaders: Record<string, string> = {};
    for (const line of head.replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
      const colon = line.indexOf(':');
      partHeaders[line.slice(0, colon).toLowerCase()] = decodedWords(line.slice(colon + 1).trim());
    }
    return { headers: partHeaders, content: Buffer.from(content.replace(/\r\n/g, ''), 'base64') };
  });
}
