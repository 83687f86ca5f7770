import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, testKeyring } from '../../../test/auth.js';
import { createEnrollmentWorld, createSession, createStudents, createStudentsWithEmails, type EnrollmentWorld } from '../../../test/world.js';
import { testEngine } from '../../../test/engine.js';
import { useTestApp } from '../../../test/test-app.js';
import { createJobHandlers } from '../../job-handlers.js';
import { createFieldCipher } from '../../platform/security/field-cipher.js';
import { createLogger } from '../../platform/shared/logger.js';
import { createWorker, type Dispatcher } from '../../platform/jobs/index.js';
import { readMail, type ReceivedMail, startTestSmtpServer, type TestSmtpServer } from '../../../test/smtp-test-server.js';

// The real cancellation through the API appends the event; the real worker, configured with SMTP_URL,
// relays it and runs the handler, which talks SMTP to a real server on a loopback port.
const context = useTestApp();
let world: EnrollmentWorld;
let smtp: TestSmtpServer;
let worker: Dispatcher;
const logLines: string[] = [];

const logger = createLogger({ logLevel: 'info', logFormat: 'json' }, { write: (line: string) => logLines.push(line) });
function workerFor(mail: { smtpUrl: string | null; outboxDir: string }): Dispatcher {
  const settings = {
    worker: { inProcess: false, pollMs: 10, leaseMs: 60_000 },
    mail: { from: 'Unitrain <no-reply@unitrain.test>', ...mail },
    retention: { changeLogHours: 168, jobDays: 14, pruneIntervalMs: 3_600_000 },
  };
  return createWorker(context.db, settings, createJobHandlers({ cipher: createFieldCipher(testKeyring), mail: settings.mail, logger }), logger);
}

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
  smtp = await startTestSmtpServer();
  worker = workerFor({ smtpUrl: smtp.url, outboxDir: '/nonexistent/outbox' });
});
afterAll(async () => {
  await smtp?.close();
});

interface Cancelled {
  sessionId: string;
  /** Student ids by their address. */
  students: Map<string, string>;
}

/** Students with these e-mails (made unique to the test) enrolled in a session of capacity 2, which is then cancelled. */
/** Enrolls the named students and cancels the session; `beforeCancel` runs in between (the booking mails' jobs, say). */
async function cancelSessionOf(names: string[], beforeCancel?: () => Promise<unknown>): Promise<Cancelled> {
  const sessionId = await createSession(context.db, world, { capacity: 2, selfEnrollment: false });
  const emails = names.map((name) => `${name}.${randomUUID().slice(0, 8)}@example.test`);
  const ids = await createStudentsWithEmails(context.db, emails);
  const [unreadable] = await createStudents(context.db, 1);
  const enrolled = await context.app.inject({
    method: 'POST', url: `/v1/sessions/${sessionId}/enrollments/batch`, headers: bearer(world.tokens.sa),
    payload: { students: [...ids, unreadable!].map((id) => ({ student_id: id })) },
  });
  expect(enrolled.statusCode, enrolled.body).toBeLessThan(300);
  await beforeCancel?.();
  const { rows: [session] } = await context.db.query<{ version: number }>('select version from training_sessions where id = $1', [sessionId]);
  const cancelled = await context.app.inject({
    method: 'POST', url: `/v1/sessions/${sessionId}/cancel`, headers: bearer(world.tokens.ap), payload: { reason: 'Trainer ill', version: session!.version },
  });
  expect(cancelled.statusCode, cancelled.body).toBe(200);
  return { sessionId, students: new Map(emails.map((email, index) => [email, ids[index]!])) };
}

async function jobOf(sessionId: string) {
  const { rows: [job] } = await context.db.query<{ status: string; attempts: number; max_attempts: number; last_error: string | null; retry_in_ms: number; event_seq: string }>(
    `select status, attempts, max_attempts, last_error, (extract(epoch from run_after - now()) * 1000)::int as retry_in_ms, event_seq from jobs
      where handler = 'notifications.session-cancelled'
        and event_seq = (select seq from domain_events where event_type = 'session.cancelled' and aggregate_id = $1)`,
    [sessionId],
  );
  return job!;
}

async function notificationsOf(sessionId: string) {
  const { rows } = await context.db.query<{ id: string; user_id: string; title: string; body: string }>(
    `select id, user_id, title, body from notifications where data ->> 'session_id' = $1 and kind = 'session.cancelled' order by user_id`, [sessionId],
  );
  return rows;
}

// The enrollments before the cancellation are confirmed by mail too (training-day.handlers.test.ts): only the cancellations count here.
const cancellation = (mail: ReceivedMail) => mail.headers.subject?.startsWith('Cancelled:') === true;
const mailsTo = (address: string): ReceivedMail[] => smtp.received.filter((mail) => cancellation(mail) && mail.recipients.includes(address));

describe('session.cancelled → e-mail through SMTP', () => {
  it('mails each affected student once, with their address, the title as subject and the text of their notification', async () => {
    const { sessionId, students } = await cancelSessionOf(['ada', 'zoë', 'carl']);
    await worker.drain();
    const job = await jobOf(sessionId);
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });

    const notifications = await notificationsOf(sessionId);
    expect(notifications).toHaveLength(4); // the three, waitlisted or not, and the student without a readable address
    for (const [email, id] of students) {
      const notification = notifications.find((row) => row.user_id === id)!;
      expect(notification.body).toContain('Reason: Trainer ill');
      const mails = mailsTo(email);
      expect(mails.map((mail) => ({ recipients: mail.recipients, ...mail.headers, text: mail.text }))).toEqual([{
        recipients: [email], to: email, from: 'Unitrain <no-reply@unitrain.test>', subject: notification.title, text: notification.body,
        'message-id': `<${job.event_seq}-${id}@unitrain.local>`,
        date: expect.any(String), 'auto-submitted': 'auto-generated', 'mime-version': '1.0',
        'content-type': 'text/plain; charset=utf-8', 'content-transfer-encoding': 'base64',
      }]);
    }
    // One handshake for the job: its mails share a connection.
    expect(new Set([...students.keys()].flatMap((email) => mailsTo(email).map((mail) => mail.connection))).size).toBe(1);
  });

  it('retries with backoff while the server says "try later", then mails the rest; every student keeps one notification', async () => {
    const { sessionId, students } = await cancelSessionOf(['dora', 'emil', 'fay']);
    // The handler mails in user id order: deferring the last one means the others were sent when it fails.
    const [deferred] = [...students].sort(([, a], [, b]) => (a < b ? 1 : -1))[0]!;
    smtp.refuse = (address) => (address === deferred ? 451 : null);
    await worker.drain();
    const failed = await jobOf(sessionId);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1, max_attempts: 15, last_error: 'Error: SMTP delivery failed (EENVELOPE, at RCPT TO, reply 451)' });
    expect(failed.retry_in_ms).toBeGreaterThan(0);
    expect(await notificationsOf(sessionId)).toEqual([]);

    smtp.refuse = () => null;
    await context.db.query(`update jobs set run_after = now() where event_seq = $1 and handler = 'notifications.session-cancelled'`, [failed.event_seq]);
    await worker.drain();
    expect(await jobOf(sessionId)).toMatchObject({ status: 'SUCCEEDED', attempts: 2, last_error: null });
    const notifications = await notificationsOf(sessionId);
    expect(notifications.map((row) => row.user_id).filter((id) => [...students.values()].includes(id)).sort()).toEqual([...students.values()].sort());
    expect(new Set(notifications.map((row) => row.user_id)).size).toBe(notifications.length);
    // At least once: the two sent before the failure went out again, as the same message, which a receiver can drop.
    for (const [email] of students) {
      const mails = mailsTo(email);
      expect({ email, copies: mails.length }).toEqual({ email, copies: email === deferred ? 1 : 2 });
      expect(new Set(mails.map((mail) => mail.raw)).size).toBe(1);
    }
  });

  it('keeps the notification of an address refused for good, mails the others and does not retry', async () => {
    const { sessionId, students } = await cancelSessionOf(['gus', 'hana']);
    const [refused, accepted] = [...students.keys()] as [string, string];
    smtp.refuse = (address) => (address === refused ? 550 : null);
    await worker.drain();
    smtp.refuse = () => null;
    expect(await jobOf(sessionId)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect((await notificationsOf(sessionId)).map((row) => row.user_id)).toEqual(expect.arrayContaining([...students.values()]));
    expect({ refused: mailsTo(refused).length, accepted: mailsTo(accepted).length }).toEqual({ refused: 0, accepted: 1 });
    const warning = logLines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'e-mail address refused; notification not mailed');
    expect(warning).toMatchObject({ user: students.get(refused), err: { message: 'SMTP server refused the recipient (EENVELOPE, at RCPT TO, reply 550)' } });
  });

  // The embedded database has one connection, which the job's transaction holds while it sends.
  it.skipIf(testEngine !== 'postgres')('holds no transaction id while it talks to the mail server, so it holds no realtime stream back', async () => {
    // The booking confirmations are mailed first: what is watched is the cancellation's two mails.
    const { sessionId } = await cancelSessionOf(['ivo', 'jan'], () => worker.drain());
    const heldWhileSending: string[][] = [];
    smtp.whileSending = async () => {
      const { rows } = await context.db.query<{ xid: string }>(
        'select backend_xid::text as xid from pg_stat_activity where datname = current_database() and backend_xid is not null');
      heldWhileSending.push(rows.map((row) => row.xid));
    };
    try {
      await worker.drain();
    } finally {
      smtp.whileSending = async () => {};
    }
    expect(await jobOf(sessionId)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(heldWhileSending).toEqual([[], []]);
  });

  it('logs neither the SMTP URL and its password nor any address', async () => {
    expect(logLines.length).toBeGreaterThan(1); // the failed attempt and the refused address above
    const logged = logLines.join('\n');
    expect(logged).not.toContain('p@ss');
    expect(logged).not.toContain(encodeURIComponent('p@ss:word/1'));
    expect(logged).not.toContain('127.0.0.1');
    expect(logged).not.toMatch(/@example\.test/);
  });
});

describe('session.cancelled → .eml files without SMTP_URL', () => {
  it('writes the same messages to DATA_DIR/outbox/<event seq>-<user id>.eml, once each even when the job runs twice', async () => {
    const outboxDir = join(await mkdtemp(join(tmpdir(), 'unitrain-outbox-')), 'outbox');
    try {
      const outboxWorker = workerFor({ smtpUrl: null, outboxDir });
      const { sessionId, students } = await cancelSessionOf(['ida', 'jörg']);
      await outboxWorker.drain();
      const job = await jobOf(sessionId);
      await context.db.query(`update jobs set status = 'PENDING', attempts = 0 where event_seq = $1 and handler = 'notifications.session-cancelled'`, [job.event_seq]);
      await outboxWorker.drain();
      expect(await jobOf(sessionId)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });

      const notifications = await notificationsOf(sessionId);
      expect(notifications).toHaveLength(3);
      expect((await readdir(outboxDir)).filter((name) => name.startsWith(`${job.event_seq}-`)).sort()).toEqual([...students.values()].map((id) => `${job.event_seq}-${id}.eml`).sort());
      for (const [email, id] of students) {
        const mail = readMail(await readFile(join(outboxDir, `${job.event_seq}-${id}.eml`), 'utf8'));
        const notification = notifications.find((row) => row.user_id === id)!;
        expect({ to: mail.headers.to, subject: mail.headers.subject, text: mail.text, id: mail.headers['message-id'] })
          .toEqual({ to: email, subject: notification.title, text: notification.body, id: `<${job.event_seq}-${id}@unitrain.local>` });
      }
      expect(smtp.received.filter((mail) => cancellation(mail) && mail.recipients.some((to) => students.has(to)))).toEqual([]);
    } finally {
      await rm(join(outboxDir, '..'), { recursive: true, force: true });
    }
  });
});
