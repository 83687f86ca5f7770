import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/test-app.js';
import { checkConsistency } from '../../platform/consistency/consistency.service.js';
import { createDispatcher, defaultDispatcherSettings, insertJob } from '../../platform/jobs/index.js';
import { expireDueCertificates, expireDueName } from './certificate-expiry.handler.js';
import { type CertificateJson, createCertificateWorld, type CertificateWorld } from '../../../test/world.js';
import { testLogger } from '../../../test/logger.js';

// Real database; the handler runs through the real job dispatcher. Time is moved by giving the handler
// a clock, never by sleeping: the certificates are valid 24 months, so a clock 25 months on finds them due.
const context = useTestApp({ publicUrl: 'https://certs.example' });
let world: CertificateWorld;
beforeAll(async () => {
  world = await createCertificateWorld(context.db, () => context.app);
});

const monthsOn = (months: number) => {
  const moved = new Date();
  moved.setUTCMonth(moved.getUTCMonth() + months);
  return moved;
};

/** Queues the job as a scheduler would, and runs the queue dry with a handler whose clock says `now`. */
async function runExpiryJob(now: Date, batchSize?: number): Promise<number> {
  const dispatcher = createDispatcher(context.db, [expireDueCertificates({ now: () => now, ...(batchSize ? { batchSize } : {}) })], testLogger, {
    ...defaultDispatcherSettings, pollMs: 10,
  });
  await context.db.transaction((tx) => insertJob(tx, { handler: expireDueName }));
  return dispatcher.drain();
}

const storedStatus = async (ids: string[]) =>
  (await context.db.query<{ id: string; status: string }>('select id, status from certificates where id = any($1::uuid[]) order by id', [ids])).rows;

async function issue(count: number): Promise<CertificateJson[]> {
  const issued: CertificateJson[] = [];
  for (let i = 0; i < count; i++) issued.push(await world.issue(world.tokens.instructor, (await world.student({ firstName: `Due${i}`, lastName: 'Holder' })).enrollmentId));
  return issued;
}

describe('the certificates.expire-due job', () => {
  it('expires nothing before the expiry date, then every ACTIVE certificate past it, audited, with events and stream changes', async () => {
    const [a, b, suspended, revoked, lasting] = await issue(5) as [CertificateJson, CertificateJson, CertificateJson, CertificateJson, CertificateJson];
    const ids = [a.id, b.id, suspended.id, revoked.id, lasting.id];
    await world.call(world.tokens.ap, 'POST', `/v1/certificates/${suspended.id}/suspend`, { reason: 'under review', version: suspended.version });
    await world.call(world.tokens.ap, 'POST', `/v1/certificates/${revoked.id}/revoke`, { reason_code: 'OTHER', reason: 'withdrawn', version: revoked.version });
    await context.db.query("update certificates set expiry_date = expiry_date + interval '10 years' where id = $1", [lasting.id]);

    // On the expiry date itself a certificate is still valid (it is the last day).
    expect(await runExpiryJob(new Date(`${String(a['expiry_date'])}T23:00:00Z`))).toBe(1);
    expect((await storedStatus(ids)).filter((row) => row.status === 'EXPIRED')).toEqual([]);

    expect(await runExpiryJob(monthsOn(25))).toBe(1);
    const statuses = Object.fromEntries((await storedStatus(ids)).map((row) => [row.id, row.status]));
    expect(statuses).toEqual({ [a.id]: 'EXPIRED', [b.id]: 'EXPIRED', [suspended.id]: 'SUSPENDED', [revoked.id]: 'REVOKED', [lasting.id]: 'ACTIVE' });

    const { rows: audit } = await context.db.query<{ row_id: string; old_status: string; new_status: string }>(
      `select row_id, old_values ->> 'status' as old_status, new_values ->> 'status' as new_status from audit_log
        where table_name = 'certificates' and row_id = any($1::uuid[]) and new_values ->> 'status' = 'EXPIRED' order by row_id`, [[a.id, b.id]]);
    expect(audit).toEqual([a.id, b.id].sort().map((id) => ({ row_id: id, old_status: 'ACTIVE', new_status: 'EXPIRED' })));
    const { rows: events } = await context.db.query<{ aggregate_id: string; aggregate_version: number; payload: Record<string, unknown> }>(
      "select aggregate_id, aggregate_version, payload from domain_events where event_type = 'certificate.expired' and aggregate_id = any($1::uuid[]) order by aggregate_id", [ids]);
    expect(events.map((event) => event.aggregate_id)).toEqual([a.id, b.id].sort());
    expect(events[0]).toMatchObject({ aggregate_version: 2, payload: expect.objectContaining({ status: 'EXPIRED', course_id: world.courseId }) });
    const { rows: changes } = await context.db.query<{ n: number }>(
      "select count(*)::integer as n from change_log where table_name = 'certificates' and operation = 'UPDATE' and row_id = any($1::uuid[])", [[a.id, b.id]]);
    expect(changes[0]?.n).toBe(2);

    // Idempotent: a second run (a retried job, a second scheduler tick) finds nothing due and writes nothing.
    expect(await runExpiryJob(monthsOn(25))).toBe(1);
    const { rows: again } = await context.db.query<{ n: number }>(
      "select count(*)::integer as n from domain_events where event_type = 'certificate.expired' and aggregate_id = any($1::uuid[])", [ids]);
    expect(again[0]?.n).toBe(2);
    // The API said EXPIRED before the job ran (computed at read) and says so after it; the doctor finds nothing wrong.
    expect((await world.call(world.tokens.sa, 'GET', `/v1/certificates/${a.id}`)).json()).toMatchObject({ status: 'EXPIRED' });
    // As of the moved clock that expired them: by the real today they would be EXPIRED early.
    const report = await checkConsistency(context.db, { asOf: monthsOn(25) });
    expect(report.checks.map((check) => check.name)).toContain('certificate-status-list');
    expect(report.violations).toEqual([]);
    // The doctor's status-list check can fail: a published list that lost the revoked certificate's bit.
    const saved = (await context.db.query<{ bits: Uint8Array }>("select bits from certificate_status_lists where purpose = 'revocation' and list_number = 0")).rows[0]!.bits;
    await context.db.query("update certificate_status_lists set bits = decode(repeat('00', 16384), 'hex') where purpose = 'revocation' and list_number = 0");
    const broken = await checkConsistency(context.db, { asOf: monthsOn(25) });
    expect(broken.violations).toEqual([expect.objectContaining({ check: 'certificate-status-list', rowId: revoked.id, expected: 'true', found: 'false' })]);
    await context.db.query("update certificate_status_lists set bits = $1 where purpose = 'revocation' and list_number = 0", [saved]);
  });

  it('works through a backlog in batches, each run queueing the next, and revoking an expired one still works', async () => {
    const issued = await issue(5);
    const ids = issued.map((certificate) => certificate.id);
    const runs = await runExpiryJob(monthsOn(25), 2);
    // 5 due in batches of 2 (the other test's rows are already expired): 2 + 2 + 1, three jobs.
    expect(runs).toBe(3);
    expect((await storedStatus(ids)).map((row) => row.status)).toEqual(Array<string>(5).fill('EXPIRED'));
    const expired = (await world.call(world.tokens.ap, 'GET', `/v1/certificates/${ids[0]}`)).json<CertificateJson>();
    const revoked = await world.call(world.tokens.ap, 'POST', `/v1/certificates/${expired.id}/revoke`, { reason_code: 'FRAUD', reason: 'forged', version: expired.version });
    expect(revoked.json()).toMatchObject({ status: 'REVOKED' });
  });
});
