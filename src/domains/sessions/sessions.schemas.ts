import Type, { type Static } from 'typebox';
import { Nullable, pageOf, Text, Timestamp, Uuid, Version } from '../../platform/shared/crud/schema-types.js';

export const CalendarDate = Type.String({ format: 'date', description: 'a calendar day, YYYY-MM-DD' });
export const ClockTime = Type.String({
  pattern: '^(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?$',
  description: 'a wall-clock time, HH:MM or HH:MM:SS (24-hour)',
});
export const SessionStatusSchema = Type.Union([Type.Literal('SCHEDULED'), Type.Literal('IN_PROGRESS'), Type.Literal('COMPLETED'), Type.Literal('CANCELLED')]);
export type SessionStatus = Static<typeof SessionStatusSchema>;
const Capacity = Type.Integer({ minimum: 1, maximum: 100_000 });

/** What a person may set on a session; the schedule, status, capacity and counters change through their own routes. */
const editable = {
  title: Text(200),
  description: Nullable(Text(5000)),
  instructor_id: Uuid,
  location_id: Uuid,
  room_id: Type.Union([Uuid, Type.Null()], { description: 'a room of the location; the session seats no more than it holds' }),
  session_date: CalendarDate,
  start_time: ClockTime,
  end_time: ClockTime,
  self_enrollment_allowed: Type.Boolean(),
  eligibility_override_reason: Type.String({
    minLength: 1,
    maxLength: 500,
    description: 'SA and AD only: assign an instructor who does not meet the course’s requirements, for this reason (stored and audited)',
  }),
};

export const SessionSchema = Type.Object({
  id: Uuid,
  title: Type.String(),
  description: Nullable(Type.String()),
  course_id: Uuid,
  schedule_id: Type.Union([Uuid, Type.Null()], { description: 'the schedule that generated the session; null for a one-off session' }),
  instructor_id: Uuid,
  location_id: Uuid,
  provider_id: Nullable(Uuid),
  room_id: Type.Union([Uuid, Type.Null()], { description: 'the room at the location, if one is booked' }),
  session_date: Type.String({ description: 'YYYY-MM-DD, wall-clock' }),
  start_time: Type.String({ description: 'HH:MM:SS, wall-clock' }),
  end_time: Type.String({ description: 'HH:MM:SS, wall-clock, the same day' }),
  max_capacity: Type.Integer(),
  current_enrollment: Type.Integer({ description: 'the number of ENROLLED students' }),
  self_enrollment_allowed: Type.Boolean(),
  status: SessionStatusSchema,
  cancelled_reason: Nullable(Type.String()),
  occurrence_date: Type.Union([Type.String(), Type.Null()], { description: 'the schedule occurrence the session stands for' }),
  detached_from_schedule: Type.Boolean({ description: 'edited by hand: schedule edits leave it alone' }),
  eligibility_override_reason: Type.Union([Type.String(), Type.Null()], { description: 'why an SA or AD assigned an instructor who does not meet the course’s requirements' }),
  eligibility_overridden_by: Type.Union([Uuid, Type.Null()], { description: 'the SA or AD who gave that reason' }),
  created_by: Nullable(Uuid),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer(),
}, {
  title: 'Session',
  examples: [{
    id: '0b7a3c52-6d1e-4f1a-9c77-2f4e8e5b9a10',
    title: 'First Aid at Work',
    description: null,
    course_id: '3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
    schedule_id: null,
    instructor_id: '7e6d5c4b-3a29-4810-9f8e-7d6c5b4a3921',
    location_id: '5f0c2d1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f',
    provider_id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
    room_id: null,
    session_date: '2027-01-12',
    start_time: '09:00:00',
    end_time: '17:00:00',
    max_capacity: 12,
    current_enrollment: 7,
    self_enrollment_allowed: true,
    status: 'SCHEDULED',
    cancelled_reason: null,
    occurrence_date: null,
    detached_from_schedule: false,
    eligibility_override_reason: null,
    eligibility_overridden_by: null,
    created_by: '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9',
    created_at: '2026-12-01T10:15:00.000Z',
    updated_at: '2026-12-03T08:02:11.412Z',
    version: 3,
  }],
});

export const CreateSessionBody = Type.Object(
  {
    course_id: Uuid,
    title: Type.Optional(editable.title),
    description: Type.Optional(editable.description),
    instructor_id: editable.instructor_id,
    location_id: editable.location_id,
    room_id: Type.Optional(editable.room_id),
    session_date: editable.session_date,
    start_time: editable.start_time,
    end_time: editable.end_time,
    max_capacity: Capacity,
    self_enrollment_allowed: Type.Optional(editable.self_enrollment_allowed),
    eligibility_override_reason: Type.Optional(editable.eligibility_override_reason),
  },
  {
    title: 'CreateSessionBody',
    additionalProperties: false,
    description: 'a one-off session; the title defaults to the course title',
    examples: [{
      course_id: '3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
      instructor_id: '7e6d5c4b-3a29-4810-9f8e-7d6c5b4a3921',
      location_id: '5f0c2d1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f',
      session_date: '2027-01-12',
      start_time: '09:00',
      end_time: '17:00',
      max_capacity: 12,
    }],
  },
);

export const PatchSessionBody = Type.Partial(Type.Object({ ...editable, version: Version }), { additionalProperties: false });

export const SessionIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const SessionListQuery = Type.Object(
  {
    course_id: Type.Optional(Uuid),
    location_id: Type.Optional(Uuid),
    instructor_id: Type.Optional(Uuid),
    schedule_id: Type.Optional(Uuid),
    status: Type.Optional(SessionStatusSchema),
    // A trainee's places (the console's schedule) read in one request, not one per session.
    ids: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: 100, uniqueItems: true, description: 'only these sessions (the parameter repeated: ids=…&ids=…); those you may not see are left out' })),
    from: Type.Optional(Type.String({ format: 'date', description: 'sessions on or after this day' })),
    to: Type.Optional(Type.String({ format: 'date', description: 'sessions on or before this day' })),
    sort: Type.Optional(Type.Union([Type.Literal('session_date'), Type.Literal('created_at')], { description: 'session_date orders by day, then by start time within a day' })),
    direction: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

export const SessionPage = pageOf(SessionSchema, 'SessionPage');

export const TransitionBody = Type.Object(
  { version: Type.Optional(Version) },
  { title: 'SessionTransitionBody', additionalProperties: false, description: 'the version you read, here or as If-Match (then the body may be left out)' },
);

export const CancelBody = Type.Object(
  { reason: Text(500), version: Type.Optional(Version) },
  {
    title: 'CancelSessionBody',
    additionalProperties: false,
    description: 'why the session is cancelled (sent to the students), and the version you read (here or as If-Match)',
    examples: [{ reason: 'The instructor is ill; you will be offered another date.', version: 3 }],
  },
);
