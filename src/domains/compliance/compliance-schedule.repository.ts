import type { Tx } from '../../platform/db/database.js';

/**
 * Every profile's score and status as of `asOf` (migration 0046's recompute): expiries, ended waivers
 * and grace periods that ran out since the last run move scores here, where no write did. Only profiles
 * whose values differ are written. Runs as the owner (the job).
 */
export async function recomputeAllScores(tx: Tx, asOf: Date): Promise<number> {
  const { rows: [result] } = await tx.query<{ changed: number }>(
    'select recompute_compliance_scores(array(select user_id from profiles order by user_id), $1::timestamptz) as changed', [asOf],
  );
  return result?.changed ?? 0;
}

/**
 * Proposes IC → IP for every active IC with an owed requirement marked `demotes_on_lapse` that is
 * OVERDUE at `asOf`, naming those requirements, with a `compliance.tier-change-proposed` event. At most
 * one open proposal per person (compliance_tier_changes_open_key), so a second run proposes nothing new;
 * a lapse an administrator already dismissed (decided after that record's expiry) is not proposed again.
 */
export async function proposeTierChanges(tx: Tx, asOf: Date): Promise<number> {
  const { rows: [result] } = await tx.query<{ proposed: number }>(
    `with lapsed as (
       select p.user_id, array_agg(r.id order by r.code) as requirement_ids
         from profiles p
         join compliance_requirements r
           on r.status = 'ACTIVE' and r.demotes_on_lapse and p.role = any (r.applies_to_roles)
          and (r.tier = 'basic' or p.compliance_tier = 'robust')
         join compliance_records c on c.user_id = p.user_id and c.requirement_id = r.id
        where p.role = 'IC' and p.status = 'ACTIVE'
          and compliance_record_state(c.status, c.expires_at, r.renewal_window_days, r.grace_days, $1) = 'OVERDUE'
          and not exists (select 1 from compliance_tier_changes d
                           where d.user_id = p.user_id and d.status = 'DISMISSED' and d.decided_at >= c.expires_at)
        group by p.user_id
     ), proposed as (
       insert into compliance_tier_changes (user_id, from_role, to_role, requirement_ids, created_at, updated_at)
       select user_id, 'IC', 'IP', requirement_ids, $1, $1 from lapsed
       on conflict (user_id) where status = 'PROPOSED' do nothing
       returning id, version, user_id, from_role, to_role, requirement_ids
     )
     select count(*)::integer as proposed from (
       select append_domain_event('compliance_tier_change', id, version, 'compliance.tier-change-proposed',
                jsonb_build_object('user_id', user_id, 'from_role', from_role, 'to_role', to_role, 'requirement_ids', requirement_ids))
         from proposed
     ) appended`,
    [asOf],
  );
  return result!.proposed;
}

/**
 * Sends the renewal reminders due at `asOf`: for each owed, held record that has not expired, the smallest
 * of its requirement's offsets whose day has come (expiry less the offset), unless that reminder or a
 * later one (a smaller offset) was already sent for this expiry. A run after downtime therefore sends
 * the one reminder that is due now, not every one it missed. The insert into compliance_reminders
 * decides who sends: its unique key makes a second worker (or a retried job) insert nothing, and only
 * inserted rows get a notification, in the same transaction. Returns how many were sent.
 */
export async function sendDueReminders(tx: Tx, asOf: Date): Promise<number> {
  const { rows: sent } = await tx.query<{ id: string; record_id: string }>(
    `with due as (
       select c.id as record_id, c.expires_at,
              (select min(o) from unnest(r.reminder_offsets_days) o where c.expires_at - make_interval(days => o) <= $1) as offset_days
         from compliance_records c
         join compliance_requirements r on r.id = c.requirement_id
         -- Only what an active person still owes: a record kept from a former role reminds nobody.
         join profiles p on p.user_id = c.user_id and p.status = 'ACTIVE' and p.role = any (r.applies_to_roles)
                        and (r.tier = 'basic' or p.compliance_tier = 'robust')
        where r.status = 'ACTIVE' and c.status in ('MET', 'WAIVED') and c.expires_at > $1
     )
     insert into compliance_reminders (record_id, expires_at, offset_days, sent_at)
     select d.record_id, d.expires_at, d.offset_days, $1 from due d
      where d.offset_days is not null
        and not exists (select 1 from compliance_reminders s
                         where s.record_id = d.record_id and s.expires_at = d.expires_at and s.offset_days <= d.offset_days)
     on conflict (record_id, expires_at, offset_days) do nothing
     returning id, record_id`,
    [asOf],
  );
  if (sent.length === 0) return 0;
  await tx.query(
    `insert into notifications (user_id, kind, title, body, data, created_at)
     select c.user_id, 'compliance.reminder',
            'Renewal due: ' || r.name || ' expires on ' || to_char(s.expires_at at time zone 'UTC', 'YYYY-MM-DD'),
            'Your "' || r.name || '" (' || r.code || ') ' || case when c.status = 'WAIVED' then 'waiver ' else '' end
              || 'expires on ' || to_char(s.expires_at at time zone 'UTC', 'YYYY-MM-DD') || ', in '
              || greatest(1, ceil(extract(epoch from s.expires_at - $2::timestamptz) / 86400))::integer || ' days. Renew it before then.',
            jsonb_build_object('reminder_id', s.id, 'record_id', c.id, 'requirement_id', r.id, 'offset_days', s.offset_days),
            $2
       from compliance_reminders s
       join compliance_records c on c.id = s.record_id
       join compliance_requirements r on r.id = c.requirement_id
      where s.id = any ($1::uuid[])`,
    [sent.map((row) => row.id), asOf],
  );
  return sent.length;
}
