import Type from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../platform/shared/crud/schema-types.js';

const Day = Type.String({ format: 'date', description: 'a calendar day, YYYY-MM-DD' });
const WallClock = Type.String({ pattern: '^\\d{2}:\\d{2}:\\d{2}$', description: 'HH:MM:SS in the location’s time zone' });

export const CalendarQuery = Type.Object(
  {
    from: Day,
    to: Type.String({ format: 'date', description: 'the last day shown, YYYY-MM-DD; from..to spans at most 366 days' }),
    location_id: Type.Optional(Uuid),
    location: Type.Optional({ ...Uuid, description: 'another name for location_id, kept for older clients; both only if equal' }),
    instructor_id: Type.Optional(Uuid),
    instructor: Type.Optional({ ...Uuid, description: 'another name for instructor_id, kept for older clients; both only if equal' }),
  },
  { additionalProperties: false },
);

export const CalendarEntrySchema = Type.Object({
  id: Uuid,
  title: Type.String(),
  status: Type.Enum(['SCHEDULED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED']),
  session_date: Type.String({ format: 'date', description: 'the day in the location’s time zone' }),
  start_time: WallClock,
  end_time: WallClock,
  starts_at: Timestamp,
  ends_at: Timestamp,
  max_capacity: Type.Integer(),
  current_enrollment: Type.Integer({ description: 'seats taken: the number of ENROLLED students' }),
  waitlisted: Type.Integer({ description: 'the number of WAITLISTED students' }),
  enrollment_percentage: Type.Number({ description: 'current_enrollment of max_capacity, in percent, one decimal' }),
  participation: Nullable(
    Type.Enum(['TEACHING', 'ENROLLED', 'WAITLISTED', 'CANCELLED'], { description: 'your part in the session: you teach it, or your enrollment’s status' }),
  ),
  version: Type.Integer(),
  course: Type.Object({ id: Uuid, code: Type.String(), title: Type.String() }),
  instructor: Type.Object({ id: Uuid, display_name: Nullable(Type.String()) }),
  location: Type.Object({
    id: Uuid,
    name: Type.String(),
    address_line1: Nullable(Type.String()),
    address_line2: Nullable(Type.String()),
    city: Nullable(Type.String()),
    region: Nullable(Type.String()),
    postal_code: Nullable(Type.String()),
    country: Nullable(Type.String()),
    timezone: Type.String({ description: 'the IANA zone of the session’s dates and times' }),
  }),
}, { title: 'CalendarEntry' });

export const CalendarSchema = Type.Object({
  from: Type.String({ format: 'date' }),
  to: Type.String({ format: 'date' }),
  items: Type.Array(CalendarEntrySchema, { description: 'by day, start time and id' }),
}, { title: 'Calendar' });

export const CalendarFeedSchema = Type.Object({
  exists: Type.Boolean({ description: 'whether you have a feed URL that works' }),
  created_at: Type.Union([Timestamp, Type.Null()], { description: 'when its current URL was made' }),
}, { title: 'CalendarFeed' });

export const IssuedCalendarFeedSchema = Type.Object({
  url: Type.String({ description: 'the private subscription URL; shown only now, keep it secret' }),
  created_at: Timestamp,
}, { title: 'IssuedCalendarFeed' });

/** Any text: what is not a live feed's token is 404, malformed or not. */
export const FeedTokenParams = Type.Object({ token: Type.String() }, { additionalProperties: false });
