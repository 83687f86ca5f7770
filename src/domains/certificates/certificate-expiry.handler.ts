import type { Tx } from '../../platform/db/database.js';
import { insertJob, type JobHandler } from '../../platform/jobs/index.js';

export const expireDueName = 'certificates.expire-due';

/** Certificates one run expires at most: a run that had more queues the next one, so no transaction grows unbounded. */
export const defaultExpiryBatchSize = 5_000;

/**
 * Marks the ACTIVE certificates whose expiry date is before `today` EXPIRED, at most `limit` of them,
 * in one statement: each row is audited by the audit trigger, reaches the stream through change
 * capture, and gets a `certificate.expired` event. SKIP LOCKED: a certificate being revoked or
 * suspended right now is left for the next run. Returns how many it expired.
 */
export async function expireDue(tx: Tx, today: string, limit: number): Promise<number> {
  const { rows } = await tx.query<{ expired: number }>(
    `with due as (
       select id from certificates
        where status = 'ACTIVE' and expiry_date < $1::date
        order by expiry_date, id
        limit $2
        for update skip locked
     ), expired as (
       update certificates c set status = 'EXPIRED' from due where c.id = due.id
       returning c.id, c.version, c.roster_id, c.user_id, c.course_id, c.expiry_date
     )
     select count(*)::integer as expired from (
       select append_domain_event('certificate', id, version, 'certificate.expired',
                jsonb_build_object('status', 'EXPIRED', 'roster_id', roster_id, 'user_id', user_id, 'course_id', course_id, 'expiry_date', expiry_date))
         from expired
     ) appended`,
    [today, limit],
  );
  return rows[0]!.expired;
}

/**
 * `certificates.expire-due`: an enqueued job (no event starts it), to be run daily by the scheduler.
 * Readers never wait for it: a certificate's status is computed as of today when read (migration
 * 0030's app_certificate_status), so this only makes the stored status, the stream and the events
 * catch up. Idempotent: a second run finds nothing due. Today is the UTC date of `now()` — the same
 * day the computed status uses — and a run that hit `batchSize` queues the next run at once.
 */
export function expireDueCertificates(deps: { now: () => Date; batchSize?: number }): JobHandler {
  const batchSize = deps.batchSize ?? defaultExpiryBatchSize;
  return {
    name: expireDueName,
    eventTypes: [],
    async run(tx) {
      const today = deps.now().toISOString().slice(0, 10);
      const expired = await expireDue(tx, today, batchSize);
      if (expired === batchSize) await insertJob(tx, { handler: expireDueName, payload: { continues: today } });
    },
  };
}
