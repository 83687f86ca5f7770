import type { Tx } from '../../platform/db/database.js';

/** One row of the SQL type calendar_entry (migration 0018). */
export interface CalendarEntryRow {
  id: string;
  title: string;
  status: 'SCHEDULED' | 'IN_PROGRESS' | 'COMPLETED' | 'CANCELLED';
  session_date: string;
  start_time: string;
  end_time: string;
  starts_at: Date;
  ends_at: Date;
  max_capacity: number;
  current_enrollment: number;
  waitlisted: number;
  enrollment_percentage: number;
  version: number;
  updated_at: Date;
  course_id: string;
  course_code: string;
  course_title: string;
  instructor_id: string;
  instructor_name: string | null;
  location_id: string;
  location_name: string;
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  timezone: string;
  participation: 'TEACHING' | 'ENROLLED' | 'WAITLISTED' | 'CANCELLED' | null;
}

export interface CalendarFilter {
  from: string;
  to: string;
  locationId: string | null;
  instructorId: string | null;
}

export interface CalendarFeedRow {
  id: string;
  created_at: Date;
  version: number;
}

const entryOrder = 'order by session_date, start_time, id';

/**
 * One statement on purpose: the inner select runs under the caller's row-level security, so it picks
 * exactly the sessions they may select; calendar_entries adds what they may not read themselves
 * (instructor name, waitlist count) for those sessions only.
 */
export async function selectCalendarEntries(tx: Tx, filter: CalendarFilter): Promise<CalendarEntryRow[]> {
  const { rows } = await tx.query<CalendarEntryRow>(
    `select * from calendar_entries(array(
       select s.id from training_sessions s
        where s.session_date between $1::date and $2::date
          and ($3::uuid is null or s.location_id = $3::uuid)
          and ($4::uuid is null or s.instructor_id = $4::uuid)))
     ${entryOrder}`,
    [filter.from, filter.to, filter.locationId, filter.instructorId],
  );
  return rows;
}

/** The sessions of the feed whose token hashes to `tokenHash`; SQLSTATE UT404 when there is no such feed. */
export async function selectFeedEntries(tx: Tx, tokenHash: string, from: string, to: string): Promise<CalendarEntryRow[]> {
  const { rows } = await tx.query<CalendarEntryRow>(`select * from calendar_feed_entries($1, $2::date, $3::date) ${entryOrder}`, [tokenHash, from, to]);
  return rows;
}

/**
 * Creates the caller's feed, or gives the existing one a new token (and with it a new created_at).
 * The new hash is a parameter rather than `excluded.token_hash`: the application may not read that column.
 */
export async function upsertFeed(tx: Tx, userId: string, tokenHash: string): Promise<CalendarFeedRow> {
  const { rows } = await tx.query<CalendarFeedRow>(
    `insert into calendar_feeds (user_id, token_hash) values ($1, $2)
     on conflict (user_id) do update set token_hash = $2, created_at = now()
     returning id, created_at, version`,
    [userId, tokenHash],
  );
  return rows[0] as CalendarFeedRow;
}

/** Row-level security shows each person only their own feed. */
export async function selectFeed(tx: Tx, userId: string): Promise<CalendarFeedRow | null> {
  const { rows } = await tx.query<CalendarFeedRow>('select id, created_at, version from calendar_feeds where user_id = $1', [userId]);
  return rows[0] ?? null;
}

export async function deleteFeed(tx: Tx, userId: string): Promise<CalendarFeedRow | null> {
  const { rows } = await tx.query<CalendarFeedRow>('delete from calendar_feeds where user_id = $1 returning id, created_at, version', [userId]);
  return rows[0] ?? null;
}

/** One session as `person` takes part in it (their participation), as the owner: for a mailed calendar entry. */
export async function selectSessionEntryFor(tx: Tx, sessionId: string, person: string): Promise<CalendarEntryRow | null> {
  const { rows } = await tx.query<CalendarEntryRow>('select * from app_calendar_entries(array[$1::uuid], $2)', [sessionId, person]);
  return rows[0] ?? null;
}
