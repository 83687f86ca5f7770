import Type from 'typebox';
import { createBodyOf, Nullable, pageOf, patchBodyOf, Text, Timestamp, Uuid, Version } from '../../platform/shared/crud/schema-types.js';
import { emailPattern } from '../../platform/shared/csv/person-cells.js';
import { memberStatusValues } from './roster-members.repository.js';

export const RosterStatus = Type.Union([Type.Literal('ACTIVE'), Type.Literal('ARCHIVED')]);
export const RosterType = Type.Union([Type.Literal('CERTIFICATE'), Type.Literal('TRAINING')], {
  description: 'CERTIFICATE: its members are to be certified; TRAINING: an attendance list',
});
const CalendarDate = Type.String({ format: 'date', description: 'YYYY-MM-DD' });

const editable = {
  name: Text(200),
  course_id: Uuid,
  location_id: Uuid,
  provider_id: Nullable(Uuid),
  instructor_id: Nullable(Type.String({ format: 'uuid', description: 'an account with the role IC or IP (or SA, AD)' })),
  instructor_name: Nullable(Type.String({ minLength: 1, maxLength: 200, description: 'as printed on certificates; also for an instructor without an account' })),
  roster_type: RosterType,
  issue_date: Nullable(CalendarDate),
};

export const RosterSchema = Type.Object({
  id: Uuid,
  ...editable,
  session_id: Nullable(Uuid),
  status: RosterStatus,
  certificate_count: Type.Integer({ description: 'certificates of this roster that are not REVOKED, kept by the database' }),
  member_count: Type.Integer(),
  created_by: Nullable(Uuid),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer(),
}, { title: 'Roster' });

export const CreateRosterBody = createBodyOf(editable, ['name', 'course_id', 'location_id']);
export const PatchRosterBody = patchBodyOf(editable);

export const RosterFromSessionBody = Type.Object(
  {
    session_id: Uuid,
    name: Type.Optional(Text(200)),
    roster_type: Type.Optional(RosterType),
  },
  { title: 'RosterFromSessionBody', additionalProperties: false, description: "name defaults to the session's title and date; roster_type to CERTIFICATE for a certifying course" },
);

export const VersionBody = Type.Object(
  { version: Type.Optional(Version) },
  { title: 'RosterVersionBody', additionalProperties: false, description: 'the version you read (or send If-Match instead)' },
);

/** API sort name → the column of roster_summaries it pages on (issue_date_key never is null). */
export const rosterSortColumns = { created_at: 'created_at', name: 'name', issue_date: 'issue_date_key' } as const;

const Direction = Type.Union([Type.Literal('asc'), Type.Literal('desc')]);
const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 50 });
const Cursor = Type.String({ maxLength: 1024 });

export const RosterListQuery = Type.Object(
  {
    session_id: Type.Optional(Uuid),
    course_id: Type.Optional(Uuid),
    location_id: Type.Optional(Uuid),
    instructor_id: Type.Optional(Uuid),
    status: Type.Optional(RosterStatus),
    roster_type: Type.Optional(RosterType),
    sort: Type.Optional(Type.Union(Object.keys(rosterSortColumns).map((name) => Type.Literal(name)), { description: 'issue_date: a roster without one sorts after every dated one (last ascending, first descending)' })),
    direction: Type.Optional(Direction),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const RosterPage = pageOf(RosterSchema, 'RosterPage');

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

const MemberEnrollmentStatus = Type.Union(memberStatusValues.enrollment_status.map((value) => Type.Literal(value)));
const MemberAttendanceStatus = Type.Union(memberStatusValues.attendance_status.map((value) => Type.Literal(value)));
const MemberCompletionStatus = Type.Union(memberStatusValues.completion_status.map((value) => Type.Literal(value)));
const Score = Type.Number({ minimum: 0, maximum: 100, description: '0 to 100, kept to two decimals' });
// One schema with a type list, not a union with null: the validator's type coercion would turn a
// null (clear the score) into 0 on the union's number branch.
const ScoreOrNull = Type.Unsafe<number | null>({ type: ['number', 'null'], minimum: 0, maximum: 100, description: '0 to 100, kept to two decimals; null clears it' });

const memberResults = {
  enrollment_status: MemberEnrollmentStatus,
  attendance_status: MemberAttendanceStatus,
  practical_score: ScoreOrNull,
  written_score: ScoreOrNull,
  completion_status: MemberCompletionStatus,
};

export const MemberSchema = Type.Object({
  id: Uuid,
  roster_id: Uuid,
  student_profile_id: Uuid,
  student_id: Nullable(Uuid),
  first_name: Nullable(Type.String({ description: 'null where you may not see the student profile (your own line)' })),
  last_name: Nullable(Type.String()),
  email: Nullable(Type.String({ description: 'shown to administrators only' })),
  company: Nullable(Type.String()),
  ...memberResults,
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer(),
}, { title: 'RosterMember' });

export const MemberPage = pageOf(MemberSchema, 'RosterMemberPage');

export const memberSortColumns = ['created_at', 'last_name'] as const;

export const MemberListQuery = Type.Object(
  {
    sort: Type.Optional(Type.Union(memberSortColumns.map((name) => Type.Literal(name)))),
    direction: Type.Optional(Direction),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const AddMemberBody = Type.Object(
  {
    first_name: Text(100),
    last_name: Text(100),
    email: Type.Optional(Type.String({ pattern: emailPattern, maxLength: 320, description: 'identifies the person at the roster’s provider' })),
    company: Type.Optional(Text(200)),
    enrollment_status: Type.Optional(MemberEnrollmentStatus),
    attendance_status: Type.Optional(MemberAttendanceStatus),
    practical_score: Type.Optional(Score),
    written_score: Type.Optional(Score),
    completion_status: Type.Optional(MemberCompletionStatus),
  },
  {
    title: 'AddMemberBody',
    additionalProperties: false,
    examples: [{ first_name: 'Nina', last_name: 'Novak', email: 'nina@example.org', company: 'Harbour Ltd', attendance_status: 'ATTENDED', practical_score: 88.5, completion_status: 'COMPLETED' }],
  },
);

export const PatchMemberBody = patchBodyOf(memberResults);

export const ImportOutcome = Type.Union([Type.Literal('ADDED'), Type.Literal('UPDATED'), Type.Literal('ALREADY_PRESENT'), Type.Literal('INVALID')]);

export const ImportReportSchema = Type.Object({
  roster_id: Uuid,
  counts: Type.Object({
    total: Type.Integer(),
    added: Type.Integer(),
    updated: Type.Integer(),
    already_present: Type.Integer(),
    invalid: Type.Integer(),
  }),
  results: Type.Array(
    Type.Object({
      line: Type.Integer({ description: 'the line of the file (the header is line 1)' }),
      outcome: ImportOutcome,
      member_id: Nullable(Uuid),
      reason: Nullable(Type.String({ description: 'why the line is INVALID' })),
    }),
  ),
}, { title: 'RosterImportReport' });
