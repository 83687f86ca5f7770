import type { Tx } from '../../platform/db/database.js';

/** What a training-day notification says about a session: times as the location's wall clock, its zone, the place. */
export interface SessionFacts {
  id: string;
  provider_id: string | null;
  session_title: string;
  course_title: string | null;
  session_date: string;
  start_time: string;
  end_time: string;
  time_zone: string;
  location: string;
  room: string | null;
  address: string;
}

/**
 * The session as it is now, or as a `session.changed` event says it was (`at`: a day, times and a
 * location and room to show instead). As the owner (the job).
 */
export async function selectSessionFacts(
  tx: Tx,
  sessionId: string,
  at: { session_date: string; start_time: string; end_time: string; location_id: string; room_id: string | null } | null = null,
): Promise<SessionFacts | null> {
  const { rows } = await tx.query<SessionFacts>(
    `select s.id, s.provider_id, s.title as session_title, c.title as course_title,
            coalesce($2::date, s.session_date)::text as session_date,
            to_char(coalesce($3::time, s.start_time), 'HH24:MI') as start_time, to_char(coalesce($4::time, s.end_time), 'HH24:MI') as end_time,
            l.timezone as time_zone, l.name as location, r.name as room,
            concat_ws(', ', l.address_line1, l.address_line2, nullif(concat_ws(' ', l.postal_code, l.city), ''), l.region, l.country) as address
       from training_sessions s
       left join courses c on c.id = s.course_id
       join locations l on l.id = coalesce($5::uuid, s.location_id)
       left join rooms r on r.id = (case when $5::uuid is null then s.room_id else $6::uuid end)
      where s.id = $1`,
    [sessionId, at?.session_date ?? null, at?.start_time ?? null, at?.end_time ?? null, at?.location_id ?? null, at?.room_id ?? null],
  );
  return rows[0] ?? null;
}

/** The student accounts holding a seat (or, with `waitlisted`, a waitlist place) in the session. */
export async function selectSessionStudents(tx: Tx, sessionId: string, waitlisted: boolean): Promise<string[]> {
  const { rows } = await tx.query<{ student_id: string }>(
    `select student_id from session_enrollments
      where session_id = $1 and student_id is not null and (status = 'ENROLLED' or ($2 and status = 'WAITLISTED'))
      order by student_id`,
    [sessionId, waitlisted],
  );
  return rows.map((row) => row.student_id);
}

/**
 * Appends `session.reminder_due` for every scheduled session that is tomorrow (or, for a worker that
 * was down the day before, today and not yet begun) in its location's zone at `now`, unless one was
 * appended for that day already: a session moved to another day is reminded again. Returns how many.
 */
export async function appendDueReminders(tx: Tx, now: Date): Promise<number> {
  const { rows } = await tx.query<{ appended: number }>(
    `select count(*)::integer as appended from (
       select append_domain_event('session', s.id, s.version, 'session.reminder_due', jsonb_build_object('session_date', s.session_date))
         from training_sessions s join locations l on l.id = s.location_id
        where s.status = 'SCHEDULED'
          and s.session_date between ($1::timestamptz at time zone l.timezone)::date and ($1::timestamptz at time zone l.timezone)::date + 1
          and lower(s.scheduled_during) > $1::timestamptz
          and not exists (select 1 from domain_events d
                           where d.aggregate_type = 'session' and d.aggregate_id = s.id and d.event_type = 'session.reminder_due'
                             and d.payload ->> 'session_date' = s.session_date::text)
        order by s.id
     ) appended`,
    [now],
  );
  return rows[0]!.appended;
}
