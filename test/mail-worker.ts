import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../src/platform/db/database.js';
import { createJobHandlers } from '../src/job-handlers.js';
import { createFieldCipher } from '../src/platform/security/field-cipher.js';
import { createLogger, type Logger } from '../src/platform/shared/logger.js';
import { testKeyring } from './auth.js';
import { createWorker, type Dispatcher } from '../src/platform/jobs/index.js';
import { readMail, type ReadMail } from './smtp-test-server.js';

/** The real worker, mailing into an outbox directory of its own (or through `smtpUrl`), with its log kept. */
export interface MailWorker {
  worker: Dispatcher;
  outboxDir: string;
  logLines: string[];
  /** The .eml files whose names start with `prefix`, read back. */
  mailsStartingWith(prefix: string): Promise<ReadMail[]>;
  remove(): Promise<void>;
}

export async function startMailWorker(db: Db, options: { smtpUrl?: string; now?: () => Date } = {}): Promise<MailWorker> {
  const root = await mkdtemp(join(tmpdir(), 'unitrain-accounts-'));
  const outboxDir = join(root, 'outbox');
  const logLines: string[] = [];
  const logger: Logger = createLogger({ logLevel: 'debug', logFormat: 'json' }, { write: (line: string) => logLines.push(line) });
  const mail = { from: 'Unitrain <no-reply@unitrain.test>', outboxDir, smtpUrl: options.smtpUrl ?? null };
  const handlers = createJobHandlers({ cipher: createFieldCipher(testKeyring), mail, logger, ...(options.now ? { now: options.now } : {}) });
  const worker = createWorker(db, { worker: { inProcess: false, pollMs: 10, leaseMs: 60_000 } }, handlers, logger);
  return {
    worker, outboxDir, logLines,
    async mailsStartingWith(prefix) {
      const names = (await readdir(outboxDir).catch(() => [] as string[])).filter((name) => name.startsWith(prefix) && name.endsWith('.eml')).sort();
      return Promise.all(names.map(async (name) => readMail(await readFile(join(outboxDir, name), 'utf8'))));
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** The page URL and token of the one link in a mail's text. */
export function linkIn(mail: ReadMail): { page: string; token: string } {
  const found = /(\S+)#token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!found) throw new Error(`no link in the mail: ${mail.text}`);
  return { page: found[1]!, token: found[2]! };
}
