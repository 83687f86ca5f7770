import Type from 'typebox';
import { Nullable, Uuid } from '../../platform/shared/crud/schema-types.js';

// Lengths and shapes are checked per row (an invalid row is that row's INVALID, not the batch's 400);
// these limits only keep a request's size sane.
const Field = Type.String({ maxLength: 1000 });

export const BatchStudent = Type.Object(
  {
    student_id: Type.Optional(Type.String({ maxLength: 100, description: 'an account id' })),
    email: Type.Optional(Type.String({ maxLength: 1000, description: 'an account or a student profile is found by it; a new profile is made for an unknown one where you may' })),
    first_name: Type.Optional(Field),
    last_name: Type.Optional(Field),
    company: Type.Optional(Field),
  },
  { title: 'BatchStudent', additionalProperties: false, description: 'student_id, or email with the names a new student profile needs' },
);

const AllOrNothing = Type.Boolean({ default: false, description: 'refuse the whole batch (422, nothing written) when any row is INVALID' });

export const BatchBody = Type.Object(
  { students: Type.Array(BatchStudent, { minItems: 1, maxItems: 10_000 }), all_or_nothing: Type.Optional(AllOrNothing) },
  { title: 'BatchBody', additionalProperties: false },
);

export const ImportQuery = Type.Object({ all_or_nothing: Type.Optional(AllOrNothing) }, { additionalProperties: false });

const BatchRowResult = Type.Object({
  row: Type.Optional(Type.Integer({ description: 'JSON: the 1-based place of the student in the list' })),
  line: Type.Optional(Type.Integer({ description: 'CSV: the line of the file (the header is line 1)' })),
  outcome: Type.Union([Type.Literal('ENROLLED'), Type.Literal('WAITLISTED'), Type.Literal('ALREADY_ENROLLED'), Type.Literal('INVALID')]),
  enrollment_id: Nullable(Uuid),
  waitlist_position: Nullable(Type.Integer()),
  student_id: Nullable(Uuid),
  student_profile_id: Nullable(Uuid),
  reason: Nullable(Type.String({ description: 'why the row is INVALID, or which earlier row it repeats' })),
  profile_created: Type.Boolean({ description: 'this row made the student profile it enrolled' }),
});

export const BatchReportSchema = Type.Object({
  session_id: Uuid,
  counts: Type.Object({
    total: Type.Integer(),
    enrolled: Type.Integer(),
    waitlisted: Type.Integer(),
    already_enrolled: Type.Integer(),
    invalid: Type.Integer(),
    profiles_created: Type.Integer(),
  }),
  results: Type.Array(BatchRowResult),
}, { title: 'EnrollmentBatchReport' });
