import type { Tx } from '../../platform/db/database.js';
import { type ExtraCondition, listRows, type TableSpec } from '../../platform/shared/crud/crud.repository.js';
import { dateCursorText, timeCursorText, timestampCursorText } from '../../platform/shared/crud/cursor.js';
import type { SessionStatus } from './sessions.schemas.js';

export interface SessionRow {
  id: string;
  title: string;
  description: string | null;
  course_id: string;
  schedule_id: string | null;
  instructor_id: string;
  location_id: string;
  provider_id: string | null;
  room_id: string | null;
  session_date: string;
  start_time: string;
  end_time: string;
  max_capacity: number;
  current_enrollment: number;
  self_enrollment_allowed: boolean;
  status: SessionStatus;
  cancelled_reason: string | null;
  occurrence_date: string | null;
  detached_from_schedule: boolean;
  eligibility_override_reason: string | null;
  eligibility_overridden_by: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const sessionColumns = [
  'id', 'title', 'description', 'course_id', 'schedule_id', 'instructor_id', 'location_id', 'provider_id', 'room_id', 'session_date',
  'start_time', 'end_time', 'max_capacity', 'current_enrollment', 'self_enrollment_allowed', 'status', 'cancelled_reason',
  'occurrence_date', 'detached_from_schedule', 'eligibility_override_reason', 'eligibility_overridden_by', 'created_by', 'created_at', 'updated_at', 'version',
] as const satisfies readonly (keyof SessionRow)[];

/** training_sessions for the shared version-checked reads and writes (src/platform/shared/crud). */
export const sessionsTable: TableSpec = {
  table: 'training_sessions',
  readFrom: 'training_sessions',
  columns: sessionColumns,
  filterable: ['course_id', 'location_id', 'room_id', 'instructor_id', 'schedule_id', 'status'],
  sortable: ['session_date', 'created_at'],
  // Within a day by start time: 08:30 before 13:00 whatever order they were made in (index of 0089).
  sortThen: { session_date: 'start_time' },
  versioned: true,
  cursorFormats: { session_date: dateCursorText, start_time: timeCursorText, created_at: timestampCursorText },
};

export interface SessionPage {
  items: SessionRow[];
  next_cursor: string | null;
  total: number;
}

export interface SessionListQuery {
  filters: Record<string, string | undefined>;
  /** Only these sessions (of those the actor may see). */
  ids?: readonly string[] | undefined;
  /** Inclusive bounds on session_date. */
  from?: string | undefined;
  to?: string | undefined;
  sort: 'session_date' | 'created_at';
  direction: 'asc' | 'desc';
  limit: number;
  cursor?: string | undefined;
}

/**
 * A keyset page of the sessions the actor may see (row-level security decides which), filtered by
 * equality on indexed columns, by a list of ids and by a range of days, with the number that match.
 */
export async function selectSessionPage(tx: Tx, query: SessionListQuery): Promise<SessionPage> {
  const { from, to, ids, ...listing } = query;
  const where: ExtraCondition[] = [];
  if (ids !== undefined) where.push((bind) => `id = any (${bind(ids)}::uuid[])`);
  if (from !== undefined) where.push((bind) => `session_date >= ${bind(from)}::date`);
  if (to !== undefined) where.push((bind) => `session_date <= ${bind(to)}::date`);
  return (await listRows(tx, sessionsTable, { ...listing, where })) as unknown as SessionPage;
}

/**
 * The session with its row lock, if the actor may change it: under row-level security FOR UPDATE
 * only returns rows the UPDATE policies allow (the session's staff). The lock is held to commit, so
 * the status and version read here stay true while the transition is made.
 */
export async function lockSession(tx: Tx, id: string): Promise<SessionRow | null> {
  const { rows } = await tx.query<SessionRow>(`select ${sessionColumns.join(', ')} from training_sessions where id = $1 for update`, [id]);
  return rows[0] ?? null;
}

/** Returns the new version. The caller holds the row lock and has checked the transition. */
export async function updateSessionStatus(tx: Tx, id: string, status: SessionStatus): Promise<number> {
  const { rows } = await tx.query<{ version: number }>('update training_sessions set status = $2 where id = $1 returning version', [id, status]);
  return rows[0]?.version ?? 0;
}

/** The cancel cascade of migration 0015 (enrollments, counter, events); returns the number of enrollments cancelled. */
export async function cancelSessionAndEnrollments(tx: Tx, id: string, reason: string): Promise<number> {
  const { rows } = await tx.query<{ cancelled: number }>('select cancel_session($1, $2) as cancelled', [id, reason]);
  return rows[0]?.cancelled ?? 0;
}

/**
 * A course as the actor sees it (row-level security hides drafts from all but administrators), with
 * its title as last published (course_as_published, migration 0014), which is what sessions show.
 */
export async function selectCourse(tx: Tx, id: string): Promise<{ title: string; status: string } | null> {
  const { rows } = await tx.query<{ title: string; status: string }>('select (course_as_published(c.id)).title as title, c.status from courses c where c.id = $1', [id]);
  return rows[0] ?? null;
}

/** An account's role, whoever may read the account (app_user_role is a SECURITY DEFINER helper of 0009). */
export async function selectUserRole(tx: Tx, id: string): Promise<string | null> {
  const { rows } = await tx.query<{ role: string | null }>('select app_user_role($1) as role', [id]);
  return rows[0]?.role ?? null;
}

export interface LocationPlace {
  timezone: string;
  /** The provider the location belongs to: the actor's own when it is shared, none when ambiguous. */
  provider_id: string | null;
}

/**
 * A location with the provider its sessions belong to: the one provider among the actor's own that has
 * the location, otherwise the location's only provider, otherwise none.
 */
export async function selectLocationPlace(tx: Tx, id: string): Promise<LocationPlace | null> {
  const { rows } = await tx.query<LocationPlace>(
    `select l.timezone, coalesce(
              (select min(pl.provider_id::text)::uuid from provider_locations pl
                where pl.location_id = l.id and pl.provider_id = any (app_provider_ids()) having count(*) = 1),
              (select min(pl.provider_id::text)::uuid from provider_locations pl where pl.location_id = l.id having count(*) = 1)
            ) as provider_id
       from locations l where l.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}
