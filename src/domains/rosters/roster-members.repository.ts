import type { Tx } from '../../platform/db/database.js';
import type { TableSpec } from '../../platform/shared/crud/crud.repository.js';

/** The values a roster line's statuses take (the table's CHECK constraints, migration 0038). */
export const memberStatusValues = {
  enrollment_status: ['ENROLLED', 'WAITLISTED', 'COMPLETED'],
  attendance_status: ['PENDING', 'ATTENDED', 'ABSENT'],
  completion_status: ['NOT_STARTED', 'IN_PROGRESS', 'COMPLETED'],
} as const;
export type MemberEnrollmentStatus = (typeof memberStatusValues.enrollment_status)[number];
export type MemberAttendanceStatus = (typeof memberStatusValues.attendance_status)[number];
export type MemberCompletionStatus = (typeof memberStatusValues.completion_status)[number];

/** What a roster line records about its student; absent fields keep their value (or the default). */
export interface MemberResults {
  enrollment_status?: MemberEnrollmentStatus;
  attendance_status?: MemberAttendanceStatus;
  completion_status?: MemberCompletionStatus;
  practical_score?: number;
  written_score?: number;
}

export interface MemberRow {
  id: string;
  roster_id: string;
  student_profile_id: string;
  first_name: string | null;
  last_name: string | null;
  enrollment_status: MemberEnrollmentStatus;
  attendance_status: MemberAttendanceStatus;
  completion_status: MemberCompletionStatus;
  practical_score: number | null;
  written_score: number | null;
  version: number;
}

/** A person for a student profile, the e-mail already sealed (ciphertext and blind index). */
export interface SealedPerson {
  first_name: string;
  last_name: string;
  email_ciphertext: string | null;
  email_hmac: string | null;
  company: string | null;
}

/** Writes go to the table, reads come from `roster_member_details` (the line with its person's names). */
export const rosterMembersTable: TableSpec = {
  table: 'student_roster_members',
  readFrom: 'roster_member_details',
  columns: [
    'id', 'roster_id', 'student_profile_id', 'student_id', 'first_name', 'last_name', 'email_ciphertext', 'company',
    'enrollment_status', 'attendance_status', 'practical_score', 'written_score', 'completion_status',
    'created_at', 'updated_at', 'version',
  ],
  filterable: ['roster_id', 'student_id'],
  // A student reading their own lines may not see the profile, so its names can be null: no sort on them here.
  sortable: ['created_at'],
  versioned: true,
};

/** The members of one roster, whose staff see every profile on it: sorting by name is safe. */
export const membersOfRosterTable: TableSpec = { ...rosterMembersTable, sortable: ['created_at', 'last_name'] };

/** 404, 403 or 409 (archived) as the caller's rights and the roster say; holds the roster FOR SHARE until commit. */
export async function lockRosterForMemberChanges(tx: Tx, rosterId: string): Promise<void> {
  await tx.query('select lock_roster_for_member_changes($1)', [rosterId]);
}

export async function selectMembersOfRoster(tx: Tx, rosterId: string): Promise<MemberRow[]> {
  const { rows } = await tx.query<MemberRow>(
    `select id, roster_id, student_profile_id, first_name, last_name, enrollment_status, attendance_status, completion_status,
            practical_score, written_score, version
       from roster_member_details where roster_id = $1 order by created_at, id`,
    [rosterId],
  );
  return rows;
}

/** The student profile of each person, found (same provider and e-mail) or made, in the order given. */
export async function resolveStudentProfiles(tx: Tx, rosterId: string, people: readonly SealedPerson[]): Promise<string[]> {
  if (people.length === 0) return [];
  const { rows } = await tx.query<{ profile_id: string }>(
    'select profile_id from roster_student_profiles($1, $2::jsonb) order by ordinal',
    [rosterId, JSON.stringify(people)],
  );
  return rows.map((row) => row.profile_id);
}

const resultColumns = ['enrollment_status', 'attendance_status', 'completion_status', 'practical_score', 'written_score'] as const;
const resultArrays = (results: readonly MemberResults[]) => resultColumns.map((column) => results.map((result) => result[column] ?? null));

/**
 * One statement for all new lines. A line another transaction added meanwhile is skipped, not an
 * error: the caller finds it among the lines that were already there.
 */
export async function insertMembers(
  tx: Tx,
  rosterId: string,
  members: readonly { profileId: string; results: MemberResults }[],
): Promise<Map<string, string>> {
  if (members.length === 0) return new Map();
  const { rows } = await tx.query<{ id: string; student_profile_id: string }>(
    `insert into student_roster_members
            (roster_id, student_profile_id, enrollment_status, attendance_status, completion_status, practical_score, written_score)
     select $1, m.profile, coalesce(m.enrollment_status, 'ENROLLED'), coalesce(m.attendance_status, 'PENDING'),
            coalesce(m.completion_status, 'NOT_STARTED'), m.practical_score, m.written_score
       from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::numeric[])
            as m (profile, enrollment_status, attendance_status, completion_status, practical_score, written_score)
     on conflict (roster_id, student_profile_id) do nothing
     returning id, student_profile_id`,
    [rosterId, members.map((member) => member.profileId), ...resultArrays(members.map((member) => member.results))],
  );
  return new Map(rows.map((row) => [row.student_profile_id, row.id]));
}

/** Sets the given results of existing lines, one statement for all; absent results keep their value. */
export async function updateMemberResults(tx: Tx, changes: readonly { memberId: string; results: MemberResults }[]): Promise<void> {
  if (changes.length === 0) return;
  await tx.query(
    `update student_roster_members m
        set enrollment_status = coalesce(u.enrollment_status, m.enrollment_status),
            attendance_status = coalesce(u.attendance_status, m.attendance_status),
            completion_status = coalesce(u.completion_status, m.completion_status),
            practical_score = coalesce(u.practical_score, m.practical_score),
            written_score = coalesce(u.written_score, m.written_score)
       from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::numeric[])
            as u (id, enrollment_status, attendance_status, completion_status, practical_score, written_score)
      where m.id = u.id`,
    [changes.map((change) => change.memberId), ...resultArrays(changes.map((change) => change.results))],
  );
}

export async function selectMemberIdsByProfile(tx: Tx, rosterId: string, profileIds: readonly string[]): Promise<Map<string, string>> {
  if (profileIds.length === 0) return new Map();
  const { rows } = await tx.query<{ id: string; student_profile_id: string }>(
    'select id, student_profile_id from student_roster_members where roster_id = $1 and student_profile_id = any ($2::uuid[])',
    [rosterId, profileIds],
  );
  return new Map(rows.map((row) => [row.student_profile_id, row.id]));
}
