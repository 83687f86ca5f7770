import type { Tx } from '../../platform/db/database.js';
import type { JobHandler } from '../../platform/jobs/index.js';

export const eligibilityNoticesName = 'instructors.eligibility-notices';

/**
 * Tells each instructor who no longer meets what the course of a session they hold asks (the rule of
 * migration 0041, through instructors_no_longer_eligible: sessions not begun at `now`, not overridden),
 * and the APs of the instructor's provider. One notice per person, session and instructor, ever: the
 * insert skips those the partial unique index already holds, so a daily run, a run caught up after
 * downtime or a retried one repeats nothing. Returns how many notices it wrote.
 */
export async function insertEligibilityNotices(tx: Tx, now: Date): Promise<number> {
  const { rowCount } = await tx.query(
    `with flagged as (
       select f.*, s.title, coalesce(i.display_name, 'The instructor') as instructor_name,
              (select string_agg(case g->>'kind' when 'TIER' then 'tier ' || (g->>'required')
                                                 when 'REQUIREMENT' then g->>'name' || ' (' || (g->>'code') || ')'
                                                 else 'a certificate of ' || (g->>'course_code') end, ', ')
                 from jsonb_array_elements(f.missing) g) as what
         from instructors_no_longer_eligible($1) f
         join training_sessions s on s.id = f.session_id
         left join instructor_profiles i on i.user_id = f.instructor_id
     ), recipients as (
       select f.*, f.instructor_id as user_id,
              'You no longer meet what ' || f.title || ' on ' || f.session_date || ' asks' as heading,
              'Missing on the day: ' || f.what || '. Renew it before the session, or ask your provider to assign another instructor.' as text
         from flagged f
       union all
       select f.*, u.id,
              f.instructor_name || ' no longer meets what ' || f.title || ' on ' || f.session_date || ' asks',
              'Missing on the day: ' || f.what || '. Assign another instructor, or an SA or AD may keep them with a reason.'
         from flagged f
         join provider_members m on m.provider_id = f.provider_id
         join users u on u.id = m.user_id and u.role = 'AP'
     )
     insert into notifications (user_id, kind, title, body, data)
     select r.user_id, 'instructor.not-eligible', r.heading, r.text,
            jsonb_build_object('session_id', r.session_id, 'instructor_id', r.instructor_id, 'course_id', r.course_id,
                               'session_date', r.session_date, 'missing', r.missing)
       from recipients r
     on conflict ((data ->> 'session_id'), (data ->> 'instructor_id'), user_id) where kind = 'instructor.not-eligible' do nothing`,
    [now],
  );
  return rowCount ?? 0;
}

/** The scheduled job (createScheduledJobs): each run looks from its own `now`, so a late run catches up. */
export function noticeIneligibleInstructors(deps: { now: () => Date }): JobHandler {
  return {
    name: eligibilityNoticesName,
    eventTypes: [],
    async run(tx) {
      await insertEligibilityNotices(tx, deps.now());
    },
  };
}
