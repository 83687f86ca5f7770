import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBuffer, type ZipFile } from 'yauzl';
import { testKeyring } from '../../../test/auth.js';
import { mailParts } from '../../../test/smtp-test-server.js';
import { useTestApp } from '../../../test/test-app.js';
import { createJobHandlers } from '../../job-handlers.js';
import { createFieldCipher } from '../../platform/security/field-cipher.js';
import { createLogger } from '../../platform/shared/logger.js';
import { createWorker, type Dispatcher } from '../../platform/jobs/index.js';
import { certificateHandlers } from './certificates.handlers.js';
import { createCertificateWorld, createSession, type CertificateWorld } from '../../../test/world.js';

// Real: the database, the HTTP routes, the job worker and its handlers, the outbox files it mails into.
const context = useTestApp({ publicUrl: 'https://certs.example' });
let world: CertificateWorld;
let worker: Dispatcher;
let outboxDir: string;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  world = await createCertificateWorld(context.db, () => context.app);
  outboxDir = join(await mkdtemp(join(tmpdir(), 'unitrain-certificates-')), 'outbox');
  const logger = createLogger({ logLevel: 'warn', logFormat: 'json' }, { write: () => undefined });
  const mail = { from: 'Unitrain <no-reply@unitrain.test>', outboxDir, smtpUrl: null };
  const deps = { cipher: createFieldCipher(testKeyring), mail, logger };
  // Chunks of 2 so that a small roster takes several chunks; the other handlers as the server runs them.
  const handlers = [...createJobHandlers(deps).filter((handler) => !handler.name.startsWith('certificates.')), ...certificateHandlers({ ...deps, publicUrl: 'https://certs.example', batchChunkSize: 2 })];
  worker = createWorker(context.db, { worker: { inProcess: false, pollMs: 10, leaseMs: 60_000 } }, handlers, logger);
});
afterAll(async () => {
  await rm(join(outboxDir, '..'), { recursive: true, force: true });
});

async function rosterWith(lines: { first: string; last: string; completion: string; email?: string }[]) {
  const roster = await world.call(world.tokens.sa, 'POST', '/v1/rosters', {
    name: `Batch ${randomUUID().slice(0, 6)}`, course_id: world.courseId, location_id: world.locationId, provider_id: world.providerId, instructor_name: 'Anna Example', roster_type: 'CERTIFICATE',
  });
  expect(roster.statusCode, roster.body).toBe(201);
  const rosterId = roster.json<{ id: string }>().id;
  const memberIds: string[] = [];
  for (const line of lines) {
    const member = await world.call(world.tokens.sa, 'POST', `/v1/rosters/${rosterId}/members`, {
      first_name: line.first, last_name: line.last, completion_status: line.completion, ...(line.email ? { email: line.email } : {}),
    });
    expect(member.statusCode, member.body).toBe(201);
    memberIds.push(member.json<{ id: string }>().id);
  }
  return { rosterId, memberIds };
}

interface BatchJson { id: string; status: string; total_count: number; processed_count: number; failed_count: number }

async function zipEntries(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<ZipFile>((resolve, reject) => fromBuffer(bytes, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file))));
  const entries = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: { fileName: string }) => {
      zip.openReadStream(entry as never, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => { entries.set(entry.fileName, Buffer.concat(chunks)); zip.readEntry(); });
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return entries;
}

describe('certificate batches', () => {
  it('issues a roster in chunks with live progress and a result per learner, then mails each holder the PDF', async () => {
    const email = `ada.${randomUUID().slice(0, 8)}@example.test`;
    const { rosterId, memberIds } = await rosterWith([
      { first: 'Ada', last: 'Lovelace', completion: 'COMPLETED', email },
      { first: 'Владимир', last: 'Иванов', completion: 'COMPLETED' },
      { first: 'Not', last: 'Finished', completion: 'IN_PROGRESS' },
      { first: 'Early', last: 'Bird', completion: 'COMPLETED' },
      { first: 'Zoë', last: 'Øster', completion: 'COMPLETED' },
    ]);
    const early = await world.call(world.tokens.sa, 'POST', '/v1/certificates', { roster_member_id: memberIds[3] });
    expect(early.statusCode).toBe(201);

    const requested = await world.call(world.tokens.ap, 'POST', '/v1/certificate-batches', { roster_id: rosterId });
    expect(requested.statusCode, requested.body).toBe(202);
    const batch = requested.json<BatchJson>();
    expect(batch).toMatchObject({ status: 'PENDING', total_count: 5, processed_count: 0 });
    await worker.drain();

    const done = (await world.call(world.tokens.ap, 'GET', `/v1/certificate-batches/${batch.id}`)).json<BatchJson>();
    expect(done).toMatchObject({ status: 'COMPLETED', total_count: 5, processed_count: 5, failed_count: 1 });
    const results = (await world.call(world.tokens.ap, 'GET', `/v1/certificate-batches/${batch.id}/results`)).json<{ items: { roster_member_id: string; outcome: string; reason: string | null; certificate_id: string | null }[] }>();
    expect(results.items.map((r) => [r.roster_member_id, r.outcome, r.reason])).toEqual([
      [memberIds[0], 'ISSUED', null], [memberIds[1], 'ISSUED', null],
      [memberIds[2], 'NOT_ELIGIBLE', 'the roster line is IN_PROGRESS, not completed'],
      [memberIds[3], 'ALREADY_ISSUED', null], [memberIds[4], 'ISSUED', null],
    ]);
    expect(results.items[3]!.certificate_id).toBe(early.json<{ id: string }>().id);

    // Progress reached the stream's feed: the batch row changed once per chunk of 2 (3 chunks) after its insert.
    const { rows: changes } = await context.db.query<{ operation: string }>("select operation from change_log where table_name = 'certificate_batches' and row_id = $1 order by seq", [batch.id]);
    expect(changes.map((c) => c.operation)).toEqual(['INSERT', 'UPDATE', 'UPDATE', 'UPDATE', 'UPDATE']);
    // Each issued certificate: audited, an event, and (after the holder's notice job) the hash of its PDF.
    const { rows: issued } = await context.db.query<{ id: string; pdf_sha256: string | null; audited: number; events: number; template_version_id: string; renderer: number }>(
      `select c.id, c.pdf_sha256, c.template_version_id, (c.snapshot ->> 'renderer')::integer as renderer,
              (select count(*)::integer from audit_log a where a.table_name = 'certificates' and a.row_id = c.id and a.operation = 'INSERT') as audited,
              (select count(*)::integer from domain_events e where e.aggregate_id = c.id and e.event_type = 'certificate.issued') as events
         from certificates c where c.batch_id = $1 order by c.id`, [batch.id]);
    expect(issued).toHaveLength(3);
    // Drawn by the compiled template (renderer 3, decision 0061), as a single issue is.
    for (const row of issued) expect(row).toMatchObject({ audited: 1, events: 1, renderer: 3, pdf_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const { rows: [counted] } = await context.db.query<{ certificate_count: number }>('select certificate_count from rosters where id = $1', [rosterId]);
    expect(counted!.certificate_count).toBe(4);

    // The PDF downloaded later is the one hashed by the notice job, and the ZIP holds exactly the batch's PDFs.
    const one = await world.call(world.tokens.sa, 'GET', `/v1/certificates/${issued[0]!.id}/pdf`);
    expect(sha256(one.rawPayload)).toBe(issued[0]!.pdf_sha256);
    const zip = await world.call(world.tokens.ap, 'GET', `/v1/certificate-batches/${batch.id}/zip`);
    expect(zip.statusCode).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    const entries = await zipEntries(zip.rawPayload);
    expect([...entries.values()].map(sha256).sort()).toEqual(issued.map((row) => row.pdf_sha256).sort());
    const again = await world.call(world.tokens.ap, 'GET', `/v1/certificate-batches/${batch.id}/zip`);
    expect(sha256(again.rawPayload)).toBe(sha256(zip.rawPayload));

    // The holder with an address got a mail with the PDF attached (the one whose hash is stored).
    const adaCertificate = results.items[0]!.certificate_id!;
    const mail = await readFile(join(outboxDir, `certificate-${adaCertificate}.eml`), 'utf8');
    expect(mail).toContain(`To: ${email}`);
    const parts = mailParts(mail);
    expect(parts[0]!.content.toString('utf8')).toContain('your certificate for Πρώτες βοήθειες · First aid');
    const attachment = parts.find((part) => (part.headers['content-type'] ?? '').startsWith('application/pdf'))!;
    const { rows: [ada] } = await context.db.query<{ pdf_sha256: string }>('select pdf_sha256 from certificates where id = $1', [adaCertificate]);
    expect(sha256(attachment.content)).toBe(ada!.pdf_sha256);
  });

  it('answers 404 to who may not see a batch, and refuses a session that is not completed', async () => {
    const { rosterId } = await rosterWith([{ first: 'Solo', last: 'Learner', completion: 'COMPLETED' }]);
    const batch = (await world.call(world.tokens.sa, 'POST', '/v1/certificate-batches', { roster_id: rosterId })).json<BatchJson>();
    expect((await world.call(world.tokens.otherAp, 'GET', `/v1/certificate-batches/${batch.id}`)).statusCode).toBe(404);
    expect((await world.call(world.tokens.otherAp, 'GET', `/v1/certificate-batches/${batch.id}/zip`)).statusCode).toBe(404);
    expect((await world.call(world.tokens.otherAp, 'POST', '/v1/certificate-batches', { roster_id: rosterId })).statusCode).toBe(404);
    expect((await world.call(world.tokens.sa, 'POST', '/v1/certificate-batches', { roster_id: rosterId, session_id: world.sessionId })).statusCode).toBe(400);
    const open = await createSession(context.db, world, { capacity: 5 });
    const refused = await world.call(world.tokens.sa, 'POST', '/v1/certificate-batches', { session_id: open });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'NOT_ELIGIBLE', details: { field: 'body.session_id' } });
    expect((await world.call(world.tokens.sa, 'POST', '/v1/certificate-batches', { roster_id: rosterId, template_id: randomUUID() })).statusCode).toBe(404);
    await worker.drain();
  });

  it('says FAILED, with the error, when a chunk has spent its attempts (it does not stay RUNNING)', async () => {
    const { rosterId } = await rosterWith([{ first: 'Ada', last: 'Byron', completion: 'COMPLETED' }]);
    // A real failure in the chunk's transaction: no result row can be written while this stands.
    await context.db.query('alter table certificate_batch_results add constraint test_refuse_results check (false) not valid');
    try {
      const batch = (await world.call(world.tokens.sa, 'POST', '/v1/certificate-batches', { roster_id: rosterId })).json<BatchJson>();
      await context.db.query("update jobs set max_attempts = 1 where handler = 'certificates.batch-chunk' and payload ->> 'batch_id' = $1", [batch.id]);
      await worker.drain();
      const failed = await world.call(world.tokens.sa, 'GET', `/v1/certificate-batches/${batch.id}`);
      expect(failed.json()).toMatchObject({ status: 'FAILED', processed_count: 0, last_error: expect.stringContaining('test_refuse_results') });
    } finally {
      await context.db.query('alter table certificate_batch_results drop constraint test_refuse_results');
    }
  });

  it('certifies a completed session: its completed enrollments, the others NOT_ELIGIBLE; holders get a notification', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 10, status: 'COMPLETED' });
    const done = await world.student({ firstName: 'Grace', lastName: 'Hopper', sessionId });
    await world.student({ completion: 'IN_PROGRESS', sessionId });
    const batch = (await world.call(world.tokens.instructor, 'POST', '/v1/certificate-batches', { session_id: sessionId })).json<BatchJson>();
    await worker.drain();
    const results = (await world.call(world.tokens.instructor, 'GET', `/v1/certificate-batches/${batch.id}/results?outcome=NOT_ELIGIBLE`)).json<{ items: { reason: string }[] }>();
    expect(results.items).toEqual([expect.objectContaining({ reason: 'the enrollment is ENROLLED and IN_PROGRESS, not completed' })]);
    const inbox = (await world.call(done.token, 'GET', '/v1/notifications')).json<{ items: { kind: string; title: string; data: Record<string, unknown> }[] }>();
    expect(inbox.items).toEqual([expect.objectContaining({ kind: 'certificate.issued', title: 'Your certificate: Πρώτες βοήθειες · First aid' })]);
    // A second run of the notice job (at least once) adds no second notification.
    await context.db.query(`update jobs set status = 'PENDING', attempts = 0, run_after = now() where handler = 'certificates.holder-notice'`);
    await worker.drain();
    expect((await world.call(done.token, 'GET', '/v1/notifications')).json<{ items: unknown[] }>().items).toHaveLength(1);
  });

  it('issues by itself on enrollment.completed when the course asks for it', async () => {
    const { enrollmentId, token } = await world.student({ completion: 'IN_PROGRESS', firstName: 'Auto', lastName: 'Issued' });
    await worker.drain();
    const settings = await world.call(world.tokens.sa, 'PUT', `/v1/courses/${world.courseId}/certificate-settings`, { template_id: null, issue_on_completion: true });
    expect(settings.statusCode, settings.body).toBe(200);
    const { rows: [enrollment] } = await context.db.query<{ version: number }>('select version from session_enrollments where id = $1', [enrollmentId]);
    const completed = await world.call(world.tokens.instructor, 'PATCH', `/v1/enrollments/${enrollmentId}`, { completion_status: 'COMPLETED', version: enrollment!.version });
    expect(completed.statusCode, completed.body).toBe(200);
    await worker.drain();
    const mine = (await world.call(token, 'GET', '/v1/certificates')).json<{ items: { enrollment_id: string; issued_by: string; verification_url: string; pdf_sha256: string }[] }>();
    expect(mine.items).toEqual([expect.objectContaining({ enrollment_id: enrollmentId, issued_by: world.instructor.id, pdf_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
    expect(mine.items[0]!.verification_url).toMatch(/^https:\/\/certs\.example\/verify\//);
    // The notice job hashed the PDF the holder downloads.
    const automaticId = (mine.items[0] as unknown as { id: string }).id;
    const pdf = await world.call(token, 'GET', `/v1/certificates/${automaticId}/pdf`);
    expect(sha256(pdf.rawPayload)).toBe(mine.items[0]!.pdf_sha256);
    const { rows: [automatic] } = await context.db.query<{ renderer: number }>("select (snapshot ->> 'renderer')::integer as renderer from certificates where id = $1", [automaticId]);
    expect(automatic!.renderer).toBe(3);
    expect((await readdir(outboxDir)).filter((name) => name.endsWith('.eml')).length).toBeGreaterThan(0);
    await world.call(world.tokens.sa, 'PUT', `/v1/courses/${world.courseId}/certificate-settings`, { template_id: null, issue_on_completion: false, version: settings.json<{ version: number }>().version });
  });
});
