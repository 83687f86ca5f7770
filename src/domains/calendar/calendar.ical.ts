import ical, { type ICalDayJsStub, ICalEventStatus } from 'ical-generator';
import type { CalendarEntryRow } from './calendar.repository.js';
import { type TimeWindow, vtimezoneOf } from './calendar.timezones.js';

/**
 * A session's wall-clock time, already in its location's zone, in the shape ical-generator accepts
 * from Day.js. With a plain Date and a TZID, ical-generator would print the Date in the server
 * process's own zone; this prints the day and time the database holds, unchanged.
 */
function wallClock(day: string, time: string, instant: Date): ICalDayJsStub {
  const digits: Record<string, string> = { YYYYMMDD: day.replaceAll('-', ''), HHmmss: time.replaceAll(':', '').slice(0, 6) };
  const value: ICalDayJsStub = {
    format: (pattern = '') => {
      const text = digits[pattern];
      if (text === undefined) throw new Error(`no wall-clock format ${pattern}`);
      return text;
    },
    isValid: () => true,
    toDate: () => instant,
    toJSON: () => instant.toISOString(),
    // Asked for only when the zone is UTC, where wall clock and UTC agree.
    utc: () => value,
  };
  return value;
}

function addressOf(entry: CalendarEntryRow): string {
  const town = [entry.postal_code, entry.city].filter(Boolean).join(' ');
  return [entry.location_name, entry.address_line1, entry.address_line2, town, entry.region, entry.country].filter(Boolean).join(', ');
}

const participationWords: Record<NonNullable<CalendarEntryRow['participation']>, string> = {
  TEACHING: 'You teach this session.',
  ENROLLED: 'You are enrolled.',
  WAITLISTED: 'You are on the waitlist.',
  CANCELLED: 'Your enrollment is cancelled.',
};

function descriptionOf(entry: CalendarEntryRow): string {
  return [
    `${entry.course_code}: ${entry.course_title}`,
    entry.instructor_name ? `Instructor: ${entry.instructor_name}` : null,
    `${entry.current_enrollment} of ${entry.max_capacity} seats taken, ${entry.waitlisted} waitlisted.`,
    entry.participation ? participationWords[entry.participation] : null,
  ]
    .filter((line): line is string => line !== null)
    .join('\n');
}

/** A cancelled session stays in the feed as CANCELLED, so subscribed calendars remove or strike it. */
function statusOf(entry: CalendarEntryRow): ICalEventStatus {
  if (entry.status === 'CANCELLED') return ICalEventStatus.CANCELLED;
  return entry.participation === 'WAITLISTED' ? ICalEventStatus.TENTATIVE : ICalEventStatus.CONFIRMED;
}

/**
 * The iCalendar text of a feed: one event per session, UID the session id, times in the location's
 * zone (TZID, with its VTIMEZONE for `window`), SEQUENCE the session's version so that clients take
 * changes.
 */
export function renderFeed(entries: readonly CalendarEntryRow[], window: TimeWindow, stamp: Date): string {
  const calendar = ical({
    name: 'Unitrain',
    prodId: { company: 'Unitrain', product: 'calendar feed', language: 'EN' },
    timezone: { name: null, generator: (zone) => vtimezoneOf(zone, window) },
    ttl: 60 * 60,
  });
  for (const entry of entries) {
    calendar.createEvent({
      id: entry.id,
      start: wallClock(entry.session_date, entry.start_time, entry.starts_at),
      end: wallClock(entry.session_date, entry.end_time, entry.ends_at),
      timezone: entry.timezone,
      stamp,
      lastModified: entry.updated_at,
      sequence: entry.version,
      summary: `${entry.course_code}: ${entry.title}`,
      description: descriptionOf(entry),
      location: addressOf(entry),
      status: statusOf(entry),
    });
  }
  return calendar.toString();
}
