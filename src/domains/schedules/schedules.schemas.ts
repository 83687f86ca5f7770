import Type from 'typebox';
import { Nullable, Timestamp, Uuid, Version } from '../../platform/shared/crud/schema-types.js';

const CalendarDate = Type.String({ format: 'date', description: 'a calendar day, YYYY-MM-DD' });
const ClockMinute = Type.String({ pattern: '^(?:[01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM (24-hour), wall-clock in the schedule’s time zone' });
const TimeZone = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)*$',
  description: 'an IANA time zone, e.g. Europe/Paris; defaults to the location’s',
});
const RecurrenceText = Type.String({ minLength: 1, maxLength: 500, description: 'an RFC 5545 RRULE without DTSTART, e.g. FREQ=WEEKLY;BYDAY=TU,TH' });
const Duration = Type.Integer({ minimum: 1, maximum: 1439, description: 'minutes; a session ends on the day it starts' });
const Capacity = Type.Integer({ minimum: 1, maximum: 100_000 });
const ScheduleStatus = Type.Union([Type.Literal('ACTIVE'), Type.Literal('PAUSED'), Type.Literal('ENDED')], {
  description: 'only ACTIVE schedules generate sessions; existing sessions stay whatever the status',
});
const GenerateUntil = Type.String({ format: 'date', description: 'materialise sessions up to this day (inclusive), at most 366 days ahead' });

export const ScheduleSchema = Type.Object({
  id: Uuid,
  course_id: Uuid,
  instructor_id: Uuid,
  location_id: Uuid,
  provider_id: Nullable(Uuid),
  rrule: Type.String(),
  timezone: Type.String(),
  start_date: Type.String({ description: 'the first day (the rule’s DTSTART), in the schedule’s time zone' }),
  start_time: Type.String({ description: 'HH:MM, when every session starts, in the schedule’s time zone' }),
  duration_minutes: Type.Integer(),
  max_capacity: Type.Integer(),
  self_enrollment_allowed: Type.Boolean(),
  until: Type.Union([Type.String(), Type.Null()], { description: 'the last day, inclusive; null: as long as the rule runs' }),
  generated_through: Type.Union([Type.String(), Type.Null()], { description: 'sessions exist up to this day (inclusive)' }),
  dtstart: Timestamp,
  until_at: Nullable(Timestamp),
  generated_until: Nullable(Timestamp),
  status: ScheduleStatus,
  eligibility_override_reason: Type.Union([Type.String(), Type.Null()], { description: 'why an SA or AD assigned an instructor who does not meet the course’s requirements; its sessions carry it' }),
  eligibility_overridden_by: Type.Union([Uuid, Type.Null()], { description: 'the SA or AD who gave that reason' }),
  created_by: Nullable(Uuid),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer(),
}, { title: 'Schedule' });

const SessionRef = {
  id: Uuid,
  session_date: Type.String(),
  start_time: Type.String(),
};

/** previous_schedule: with scope following, the series up to the day before the split, which ends there. */
export const ScheduleChangeSchema = Type.Object({
  schedule: ScheduleSchema,
  previous_schedule: Type.Optional(ScheduleSchema),
  sessions: Type.Object({
    created: Type.Array(Type.Object(SessionRef)),
    updated: Type.Array(Type.Object(SessionRef), { description: 'future, untouched sessions that now follow the schedule' }),
    cancelled: Type.Array(Type.Object(SessionRef), { description: 'future, untouched sessions the rule no longer has, cancelled with their enrollments' }),
    left_alone: Type.Array(
      Type.Object({ ...SessionRef, reason: Type.Union([Type.Literal('EDITED_BY_HAND'), Type.Literal('IN_PROGRESS'), Type.Literal('COMPLETED'), Type.Literal('CANCELLED')]) }),
      { description: 'future sessions of the schedule an edit does not change' },
    ),
    capacity_kept: Type.Array(
      Type.Object({
        ...SessionRef,
        reason: Type.Union([Type.Literal('BELOW_ENROLLED'), Type.Literal('CHANGED_BY_HAND')]),
        max_capacity: Type.Integer(),
        current_enrollment: Type.Integer(),
      }),
      { description: 'sessions that kept their capacity: more students enrolled than the new capacity, or capacity set by hand' },
    ),
    conflicts: Type.Array(
      Type.Object({
        session_date: Type.String(),
        start_time: Type.String(),
        conflicting_session_id: Uuid,
        resource: Type.Union([Type.Literal('instructor'), Type.Literal('room')]),
        session_id: Type.Optional(Type.String({ format: 'uuid', description: 'an existing session of the schedule the edit did not move (SCHEDULE_CONFLICT): it keeps its old values' })),
      }),
      { description: 'occurrences not made, or sessions not moved, because their instructor or room is booked in another session at an overlapping time (named)' },
    ),
  }),
}, { title: 'ScheduleChange' });

const scheduleFields = {
  instructor_id: Uuid,
  location_id: Uuid,
  rrule: RecurrenceText,
  start_date: CalendarDate,
  start_time: ClockMinute,
  duration_minutes: Duration,
  max_capacity: Capacity,
  timezone: TimeZone,
  until: Nullable(CalendarDate),
  self_enrollment_allowed: Type.Boolean(),
  eligibility_override_reason: Type.String({
    minLength: 1,
    maxLength: 500,
    description: 'SA and AD only: assign an instructor who does not meet the course’s requirements on some occurrences, for this reason (stored and audited)',
  }),
};

export const CreateScheduleBody = Type.Object(
  {
    course_id: Uuid,
    ...scheduleFields,
    timezone: Type.Optional(scheduleFields.timezone),
    until: Type.Optional(scheduleFields.until),
    self_enrollment_allowed: Type.Optional(scheduleFields.self_enrollment_allowed),
    eligibility_override_reason: Type.Optional(scheduleFields.eligibility_override_reason),
    generate_until: Type.Optional(GenerateUntil),
  },
  { title: 'CreateScheduleBody', additionalProperties: false, description: 'sessions are generated up to generate_until (default 90 days ahead)' },
);

const EditScope = Type.Union([Type.Literal('this'), Type.Literal('following'), Type.Literal('all')], {
  description: 'which sessions the edit is for: the occurrence of occurrence_date only, that one and every later one (the series is split there), or all upcoming untouched ones (the default)',
});

export const PatchScheduleBody = Type.Partial(
  Type.Object({
    ...scheduleFields,
    status: ScheduleStatus,
    version: Version,
    scope: EditScope,
    occurrence_date: Type.String({ format: 'date', description: 'with scope this or following: the occurrence (a day in the schedule’s time zone) the edit starts at' }),
  }),
  {
    title: 'PatchScheduleBody',
    additionalProperties: false,
    examples: [{ scope: 'following', occurrence_date: '2027-03-22', start_time: '10:00', version: 3 }],
  },
);

export const GenerateBody = Type.Object({ until: GenerateUntil }, { title: 'GenerateBody', additionalProperties: false });

export const ScheduleIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const scheduleFilters = {
  course_id: Type.Optional(Uuid),
  location_id: Type.Optional(Uuid),
  instructor_id: Type.Optional(Uuid),
  status: Type.Optional(ScheduleStatus),
};
