import Type from 'typebox';
import { Nullable, pageOf, patchBodyOf, Timestamp, Uuid, Version } from '../../platform/shared/crud/schema-types.js';

const NullableUuid = Type.Union([Uuid, Type.Null()]);

export const EnrollmentStatus = Type.Union([Type.Literal('ENROLLED'), Type.Literal('WAITLISTED'), Type.Literal('CANCELLED')]);
export const AttendanceStatus = Type.Union([Type.Literal('REGISTERED'), Type.Literal('ATTENDED'), Type.Literal('ABSENT'), Type.Literal('PARTIAL')]);
export const CompletionStatus = Type.Union([Type.Literal('NOT_STARTED'), Type.Literal('IN_PROGRESS'), Type.Literal('COMPLETED'), Type.Literal('FAILED')]);
// One schema with two types, not a union: with the server's type coercion, the number branch of a
// union would turn a null (clear the score) into 0.
const Score = Type.Unsafe<number | null>({ type: ['number', 'null'], minimum: 0, maximum: 100, description: '0 to 100, stored to two decimals; null clears it' });

export const EnrollmentSchema = Type.Object({
  id: Uuid,
  session_id: Uuid,
  student_id: Type.Union([Uuid, Type.Null()], { description: 'the student account; null for a student without one' }),
  student_profile_id: Type.Union([Uuid, Type.Null()], { description: 'the student without an account; null for an account' }),
  status: EnrollmentStatus,
  waitlist_position: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: '1 is next in line; null unless WAITLISTED' }),
  offer_expires_at: Type.Union([Timestamp, Type.Null()], {
    description: 'set while this WAITLISTED student is offered a freed seat: accept it before then (POST /v1/enrollments/{id}/offer/accept)',
  }),
  enrollment_date: Timestamp,
  attendance_status: AttendanceStatus,
  completion_status: CompletionStatus,
  assessment_score: Nullable(Type.Number()),
  practical_score: Nullable(Type.Number()),
  written_score: Nullable(Type.Number()),
  completed_at: Type.Union([Timestamp, Type.Null()], { description: 'when it became COMPLETED or FAILED; null otherwise' }),
  enrolled_by: NullableUuid,
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer(),
}, {
  title: 'Enrollment',
  examples: [{
    id: 'c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f',
    session_id: '0b7a3c52-6d1e-4f1a-9c77-2f4e8e5b9a10',
    student_id: '00c4f266-b6d1-491d-bb69-b8536f7cbe17',
    student_profile_id: null,
    status: 'WAITLISTED',
    waitlist_position: 2,
    offer_expires_at: null,
    enrollment_date: '2026-12-04T16:20:05.311Z',
    attendance_status: 'REGISTERED',
    completion_status: 'NOT_STARTED',
    assessment_score: null,
    practical_score: null,
    written_score: null,
    completed_at: null,
    enrolled_by: '00c4f266-b6d1-491d-bb69-b8536f7cbe17',
    created_at: '2026-12-04T16:20:05.311Z',
    updated_at: '2026-12-04T16:20:05.311Z',
    version: 1,
  }],
});

export const SessionCapacitySchema = Type.Object({
  id: Uuid,
  max_capacity: Type.Integer(),
  current_enrollment: Type.Integer({ description: 'the seats taken: ENROLLED students and seats held for open waitlist offers' }),
  waitlisted: Type.Integer({ description: 'the number of WAITLISTED students, at positions 1..waitlisted' }),
  promoted: Type.Integer({ description: 'students this change moved from the waitlist into a seat, or offered one' }),
  version: Type.Integer(),
}, { title: 'SessionCapacity' });

export const SessionIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const EnrollmentIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const EnrollBody = Type.Object(
  {
    student_id: Type.Optional(Uuid),
    student_profile_id: Type.Optional(Uuid),
    allow_overlap: Type.Optional(
      Type.Boolean({ description: 'enroll even if the student holds a seat or waitlist place in a session at an overlapping time (otherwise 422 OVERLAPPING_ENROLLMENT)' }),
    ),
  },
  {
    title: 'EnrollBody',
    additionalProperties: false,
    description: 'at most one of the two; neither enrolls the caller',
    examples: [{ student_id: '00c4f266-b6d1-491d-bb69-b8536f7cbe17' }, {}],
  },
);

const ReadVersion = Type.Integer({ minimum: 1, maximum: 2147483647, description: 'the version you read (or send If-Match instead); without either, none is checked' });

export const CapacityBody = Type.Object(
  { max_capacity: Type.Integer({ minimum: 1, maximum: 100_000 }), version: Type.Optional(ReadVersion) },
  { title: 'CapacityBody', additionalProperties: false },
);

// One schema with two types, like Score: a union would coerce null (follow the course) into 0 (at once).
const offerHours = (description: string) => Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 0, maximum: 720, description });

export const SessionWaitlistOffersBody = Type.Object(
  {
    offer_hours: offerHours('hours a freed seat is offered to the next in line before it passes on (never past the session start); 0 assigns freed seats at once; null follows the course'),
  },
  { title: 'SessionWaitlistOffersBody', additionalProperties: false, examples: [{ offer_hours: 24 }] },
);

export const CourseWaitlistOffersBody = Type.Object(
  {
    offer_hours: offerHours('hours a freed seat of a session of this course is offered before it passes on, unless the session says otherwise; 0 or null assigns freed seats at once'),
  },
  { title: 'CourseWaitlistOffersBody', additionalProperties: false, examples: [{ offer_hours: 48 }] },
);

export const WaitlistOffersSchema = Type.Object({
  id: Uuid,
  offer_hours: offerHours('as set here; null: not set'),
  effective_offer_hours: Type.Integer({ minimum: 0, description: 'what applies (a session without its own: its course\'s); 0: freed seats are assigned at once' }),
}, { title: 'WaitlistOffers' });

export const CourseIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const CancelBody = Type.Object({ version: Type.Optional(ReadVersion) }, { title: 'CancelEnrollmentBody', additionalProperties: false });

/** What staff record about an enrollment; every field optional in a change. */
export const resultFields = {
  attendance_status: AttendanceStatus,
  assessment_score: Score,
  practical_score: Score,
  written_score: Score,
  completion_status: CompletionStatus,
};
export type ResultField = keyof typeof resultFields;
export const resultFieldNames = Object.keys(resultFields) as ResultField[];

export const ChangeEnrollmentBody = patchBodyOf(resultFields);


export const SessionResultsBody = Type.Object(
  {
    results: Type.Array(
      Type.Object({ enrollment_id: Uuid, version: Version, ...Type.Partial(Type.Object(resultFields)).properties }, { additionalProperties: false }),
      { minItems: 1, maxItems: 10_000 },
    ),
  },
  {
    title: 'SessionResultsBody',
    additionalProperties: false,
    examples: [{
      results: [
        { enrollment_id: 'c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f', version: 2, attendance_status: 'ATTENDED', practical_score: 86.5, written_score: 91, completion_status: 'COMPLETED' },
        { enrollment_id: 'd3e4f5a6-b7c8-4d9e-8f0a-1b2c3d4e5f6a', version: 1, attendance_status: 'ABSENT' },
      ],
    }],
  },
);

export const SessionResultsSchema = Type.Object({ session_id: Uuid, items: Type.Array(EnrollmentSchema) }, { title: 'SessionResults' });

/** Equality filters of enrollment lists (each one a column of session_enrollments). */
export const enrollmentFilters = {
  student_id: Type.Optional(Uuid),
  student_profile_id: Type.Optional(Uuid),
  status: Type.Optional(EnrollmentStatus),
  attendance_status: Type.Optional(AttendanceStatus),
  completion_status: Type.Optional(CompletionStatus),
};
export const enrollmentSortColumns = ['enrollment_date', 'created_at'] as const;

export const SessionEnrollmentsQuery = Type.Object(
  {
    ...enrollmentFilters,
    sort: Type.Optional(Type.Union(enrollmentSortColumns.map((column) => Type.Literal(column)))),
    direction: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

export const EnrollmentPage = pageOf(EnrollmentSchema, 'EnrollmentPage');

/** A session's enrollment as its page lists it: a student without an account comes with the name on its profile. */
export const SessionEnrollmentSchema = Type.Object({
  ...EnrollmentSchema.properties,
  student_profile_name: Type.Union([Type.String(), Type.Null()], {
    description: 'for a student without an account: the first and last name on its profile, when you may see it; null for an account (GET /v1/users?id=… names those)',
  }),
}, { title: 'SessionEnrollment' });

export const SessionEnrollmentPage = pageOf(SessionEnrollmentSchema, 'SessionEnrollmentPage');
