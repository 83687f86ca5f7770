import Type from 'typebox';
import { Timestamp, Uuid } from '../../shared/crud/schema-types.js';

const NullableUuid = Type.Union([Uuid, Type.Null()]);

export const EnrollmentSchema = Type.Object({
  id: Uuid,
  session_id: Uuid,
  student_id: Type.Union([Uuid, Type.Null()], { description: 'the student account; null for a student without one' }),
  student_profile_id: Type.Union([Uuid, Type.Null()], { description: 'the student without an account; null for an account' }),
  status: Type.Enum(['ENROLLED', 'WAITLISTED', 'CANCELLED']),
  waitlist_position: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: '1 is next in line; null unless WAITLISTED' }),
  enrollment_date: Timestamp,
  attendance_status: Type.String(),
  completion_status: Type.String(),
  enrolled_by: NullableUuid,
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer(),
});

export const SessionCapacitySchema = Type.Object({
  id: Uuid,
  max_capacity: Type.Integer(),
  current_enrollment: Type.Integer({ description: 'the number of ENROLLED students' }),
  waitlisted: Type.Integer({ description: 'the number of WAITLISTED students, at positions 1..waitlisted' }),
  promoted: Type.Integer({ description: 'students this change moved from the waitlist into a seat' }),
  version: Type.Integer(),
});

export const SessionIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const EnrollmentIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const EnrollBody = Type.Object(
  {
    student_id: Type.Optional(Uuid),
    student_profile_id: Type.Optional(Uuid),
  },
  { additionalProperties: false, description: 'at most one of the two; neither enrolls the caller' },
);

export const CapacityBody = Type.Object(
  { max_capacity: Type.Integer({ minimum: 1, maximum: 100_000 }) },
  { additionalProperties: false },
);
