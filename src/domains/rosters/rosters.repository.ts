import type { Tx } from '../../platform/db/database.js';
import type { TableSpec } from '../../platform/shared/crud/crud.repository.js';

export interface RosterRow {
  id: string;
  name: string;
  session_id: string | null;
  course_id: string;
  location_id: string;
  provider_id: string | null;
  instructor_id: string | null;
  instructor_name: string | null;
  status: 'ACTIVE' | 'ARCHIVED';
  roster_type: 'CERTIFICATE' | 'TRAINING';
  certificate_count: number;
  member_count: number;
  issue_date: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

/**
 * Writes go to `rosters`, reads come from `roster_summaries` (migration 0017: the row, its member
 * count and the issue-date sort key), both under the caller's row-level security.
 */
export const rostersTable: TableSpec = {
  table: 'rosters',
  readFrom: 'roster_summaries',
  columns: [
    'id', 'name', 'session_id', 'course_id', 'location_id', 'provider_id', 'instructor_id', 'instructor_name', 'status',
    'roster_type', 'certificate_count', 'member_count', 'issue_date', 'created_by', 'created_at', 'updated_at', 'version',
  ],
  filterable: ['session_id', 'course_id', 'location_id', 'instructor_id', 'status', 'roster_type'],
  sortable: ['created_at', 'name', 'issue_date_key'],
  versioned: true,
};

export interface NewRoster {
  name: string;
  course_id: string;
  location_id: string;
  provider_id?: string | null | undefined;
  instructor_id?: string | null | undefined;
  instructor_name?: string | null | undefined;
  roster_type?: string | undefined;
  issue_date?: string | null | undefined;
  created_by: string;
}

/**
 * No RETURNING on purpose: an IC or IP sees a roster through a function that reads rosters, which
 * does not yet see a row its own statement inserts, so reading it back must be a statement of its own.
 */
export async function insertRoster(tx: Tx, id: string, roster: NewRoster): Promise<void> {
  await tx.query(
    `insert into rosters (id, name, course_id, location_id, provider_id, instructor_id, instructor_name, roster_type, issue_date, created_by)
     values ($1, $2, $3, $4, $5, $6, $7, coalesce($8, 'TRAINING'), $9, $10)`,
    [id, roster.name, roster.course_id, roster.location_id, roster.provider_id ?? null, roster.instructor_id ?? null,
      roster.instructor_name ?? null, roster.roster_type ?? null, roster.issue_date ?? null, roster.created_by],
  );
}

/** The session's staff only, checked by the function (migration 0017); returns the new roster's id. */
export async function insertRosterFromSession(tx: Tx, sessionId: string, name: string | null, rosterType: string | null): Promise<string> {
  const { rows } = await tx.query<{ id: string }>('select create_roster_from_session($1, $2, $3) as id', [sessionId, name, rosterType]);
  return (rows[0] as { id: string }).id;
}
