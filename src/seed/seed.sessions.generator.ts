import type { Catalogue, CourseInfo } from './seed.catalogue.generator.js';
import type { People, SeedContext } from './seed.people.generator.js';
import { clockTime, isoDate, utcTimestamp, weekday, zonedTimestamp } from './seed.calendar.js';
import { Random } from './seed.random.js';
import type { Row } from './seed.tables.js';

/** Everything later generators need to know about one session, beside its row. */
export interface SessionPlan {
  index: number;
  row: Row<'training_sessions'>;
  course: CourseInfo;
  day: number;
  timezone: string;
  venue: string;
  startMinutes: number;
  endMinutes: number;
  /** Provider index, or the organisation's slot (= number of providers). */
  slot: number;
  /** How many enrollment rows of each status the session gets; `enrolled` is current_enrollment. */
  enrolled: number;
  waitlisted: number;
  cancelled: number;
  roster: 'CERTIFICATE' | 'TRAINING' | null;
}

export interface Sessions {
  schedules: Row<'course_schedules'>[];
  sessions: SessionPlan[];
}

/** The year of sessions: half a year either side of the anchor day. */
export const windowDays = { before: 182, after: 182 } as const;

const weekdayCodes = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
const startTimes = [480, 510, 540, 570, 600, 780, 840, 1080];
const cancellationReasons = [
  'Instructor unavailable', 'Too few enrollments', 'Venue unavailable', 'Severe weather warning',
  'Rescheduled at the provider\'s request',
];

interface Offer {
  course: CourseInfo;
  slot: number;
  location: Row<'locations'>;
  instructor: Row<'users'>['id'];
  capacity: number;
  startMinutes: number;
  createdBy: string;
}

function chooseOffer(ctx: SeedContext, people: People, catalogue: Catalogue, random: Random): Offer {
  const org = ctx.plan.providers;
  const learnerCourses = catalogue.offered.filter((c) => c.audience === 'learners');
  const publicCourses = catalogue.offered.filter((c) => c.audience === 'public');
  // About one session in twelve trains instructors; the rest are public courses.
  const course = learnerCourses.length > 0 && (publicCourses.length === 0 || random.chance(0.08)) ? random.pick(learnerCourses) : random.pick(publicCourses);
  const slot = random.chance(0.85) ? random.int(0, org - 1) : org;
  const location = people.locations[random.pick(people.locationsOf[slot] as number[])] as Row<'locations'>;
  const instructor = (people.users[random.pick(people.instructorsOf[slot] as number[])] as { id: string }).id;
  const typical = ctx.plan.typicalCapacity * (course.audience === 'learners' ? 0.75 : 1);
  const capacity = random.int(Math.round(typical * 0.6), Math.round(typical * 1.4));
  const startMinutes = random.pick(startTimes.filter((t) => t + course.durationMinutes <= 22 * 60));
  const staff = people.staffOf[slot] as string[];
  return { course, slot, location, instructor, capacity, startMinutes, createdBy: random.pick(staff.length > 0 ? staff : people.administrators) };
}

/** The weekly occurrences of a schedule from `start` (itself an occurrence) to `end`, both included. */
function occurrences(start: number, end: number, days: number[], interval: number): number[] {
  const weekStart = start - weekday(start);
  const out: number[] = [];
  for (let day = start; day <= end; day++) {
    if (days.includes(weekday(day)) && Math.floor((day - weekStart) / 7) % interval === 0) out.push(day);
  }
  return out;
}

export function generateSessions(ctx: SeedContext, people: People, catalogue: Catalogue): Sessions {
  const { today, plan } = ctx;
  const random = Random.of(ctx.seed, 'sessions');
  const first = today - windowDays.before;
  const last = today + windowDays.after;
  const schedules: Row<'course_schedules'>[] = [];
  const sessions: SessionPlan[] = [];
  // An instructor teaches one session at a time (migration 0039 refuses overlaps, cancelled or not
  // alike here): an occurrence whose instructor is busy then is not made, and another takes its place.
  const booked = new Map<string, [number, number][]>();
  const addSession = (offer: Offer, day: number, schedule: Row<'course_schedules'> | null, created: string) => {
    const tz = offer.location.timezone;
    const starts = Date.parse(zonedTimestamp(day, offer.startMinutes, tz));
    const ends = Date.parse(zonedTimestamp(day, offer.startMinutes + offer.course.durationMinutes, tz));
    const busy = booked.get(offer.instructor) ?? [];
    if (busy.some(([from, to]) => from < ends && starts < to)) return;
    booked.set(offer.instructor, [...busy, [starts, ends]]);
    sessions.push(planSession(ctx, offer, day, schedule, created, sessions.length, people));
  };

  // Most sessions come from weekly schedules, materialised over the window; the rest are one-offs.
  const fromSchedules = Math.floor(plan.sessions * 0.85);
  while (sessions.length < fromSchedules) {
    const offer = chooseOffer(ctx, people, catalogue, random);
    const days = random.sample(6, random.int(1, 2)).map((d) => d + 1).sort((a, b) => a - b);
    const interval = random.chance(0.7) ? 1 : 2;
    // Some schedules began before the window: only their occurrences inside it are sessions.
    let start = first + random.int(-220, windowDays.before + windowDays.after - 60);
    while (!days.includes(weekday(start))) start++;
    const open = random.chance(0.25);
    let until = open ? last : Math.min(last, start + random.int(4, 40) * 7);
    const paused = !open && until > today && random.chance(0.1);
    let dates = occurrences(start, paused ? Math.min(until, today) : until, days, interval).filter((day) => day >= first);
    const room = fromSchedules - sessions.length;
    if (dates.length > room) {
      dates = dates.slice(0, room);
      until = dates.at(-1) as number;
    }
    if (dates.length === 0) continue;
    const tz = offer.location.timezone;
    const createdDay = Math.min(today - 1, start - random.int(14, 60));
    const created = utcTimestamp(createdDay, random.int(480, 1020));
    const status = !open && until < today ? 'ENDED' : paused ? 'PAUSED' : 'ACTIVE';
    const generatedUntil = zonedTimestamp(dates.at(-1) as number, offer.startMinutes, tz);
    const schedule: Row<'course_schedules'> = {
      id: random.uuid(), course_id: offer.course.id, instructor_id: offer.instructor, location_id: offer.location.id,
      provider_id: offer.slot === plan.providers ? null : (people.providers[offer.slot] as { id: string }).id,
      rrule: `FREQ=WEEKLY;INTERVAL=${interval};BYDAY=${days.map((d) => weekdayCodes[d]).join(',')}`,
      dtstart: zonedTimestamp(start, offer.startMinutes, tz), until_at: open ? null : zonedTimestamp(until, 23 * 60 + 59, tz),
      generated_until: generatedUntil, duration_minutes: offer.course.durationMinutes, max_capacity: offer.capacity, timezone: tz,
      status, created_by: offer.createdBy, created_at: created,
      // Ended and paused schedules were changed once after creation.
      updated_at: status === 'ACTIVE' ? created : utcTimestamp(Math.min(today, until), 600), version: status === 'ACTIVE' ? 1 : 2,
    };
    schedules.push(schedule);
    for (const day of dates) addSession(offer, day, schedule, created);
  }
  // One-off sessions; the first few fall on the anchor day so that some are in progress "now".
  while (sessions.length < plan.sessions) {
    const offer = chooseOffer(ctx, people, catalogue, random);
    const day = sessions.length - fromSchedules < 3 ? today : random.int(first, last);
    const created = utcTimestamp(Math.min(today - 1, day - random.int(10, 90)), random.int(480, 1020));
    addSession(offer, day, null, created);
  }
  return { schedules, sessions };
}

function planSession(
  ctx: SeedContext, offer: Offer, day: number, schedule: Row<'course_schedules'> | null, created: string, index: number, people: People,
): SessionPlan {
  const { today } = ctx;
  const random = Random.of(ctx.seed, 'session', index);
  const capacity = offer.capacity;
  const pool = offer.course.audience === 'learners' ? people.learners.length : (people.studentsOf[offer.slot] as number[]).length;
  const cancelledSession = random.chance(day < today ? 0.04 : 0.03);
  const status = cancelledSession ? 'CANCELLED' : day < today ? 'COMPLETED' : day === today && random.chance(0.7) ? 'IN_PROGRESS' : 'SCHEDULED';
  let enrolled = 0;
  let waitlisted = 0;
  let cancelled = 0;
  if (status === 'CANCELLED') {
    cancelled = random.int(0, Math.round(capacity * 0.6));
  } else if (status === 'SCHEDULED' && day > today) {
    // Sessions further ahead are emptier; popular ones are full and hold a waitlist.
    const ahead = day - today;
    const fill = random.float() * 0.55 + 0.45;
    enrolled = Math.round(capacity * Math.min(1, fill * (ahead < 30 ? 1.15 : ahead < 90 ? 0.95 : 0.75)));
    if (enrolled === capacity && random.chance(0.6)) waitlisted = random.int(1, Math.max(1, Math.round(capacity * 0.3)));
    cancelled = random.chance(0.4) ? random.int(1, 3) : 0;
  } else {
    enrolled = Math.round(capacity * (random.float() * 0.4 + 0.6));
    cancelled = random.chance(0.5) ? random.int(1, 3) : 0;
  }
  // Never more distinct students than the pool holds.
  enrolled = Math.min(enrolled, pool);
  waitlisted = Math.min(waitlisted, pool - enrolled);
  cancelled = Math.min(cancelled, pool - enrolled - waitlisted);

  const certifyingRoster = status === 'COMPLETED' && offer.course.certifies && offer.course.audience === 'public' && random.chance(0.35);
  const trainingRoster = status === 'SCHEDULED' && day - today < 30 && offer.course.audience === 'public' && random.chance(0.15);
  const tz = offer.location.timezone;
  const end = offer.startMinutes + offer.course.durationMinutes;
  const changedAt = status === 'COMPLETED' ? zonedTimestamp(day, end + 30, tz)
    : status === 'CANCELLED' ? utcTimestamp(Math.min(today, day) - random.int(1, 7), random.int(480, 1020))
      : status === 'IN_PROGRESS' ? zonedTimestamp(day, offer.startMinutes, tz) : created;
  const row: Row<'training_sessions'> = {
    id: random.uuid(), title: offer.course.title, description: random.chance(0.3) ? `${offer.location.name}: ${offer.course.title}` : null,
    course_id: offer.course.id, schedule_id: schedule?.id ?? null, instructor_id: offer.instructor, location_id: offer.location.id,
    provider_id: offer.slot === ctx.plan.providers ? null : (people.providers[offer.slot] as { id: string }).id,
    session_date: isoDate(day), start_time: clockTime(offer.startMinutes), end_time: clockTime(end), max_capacity: capacity,
    current_enrollment: enrolled, self_enrollment_allowed: random.chance(0.3), status,
    cancelled_reason: status === 'CANCELLED' ? random.pick(cancellationReasons) : null, created_by: offer.createdBy, created_at: created,
    updated_at: changedAt < created ? created : changedAt, version: status === 'SCHEDULED' ? 1 : 2,
  };
  return {
    index, row, course: offer.course, day, timezone: tz, venue: offer.location.city ?? offer.location.name,
    startMinutes: offer.startMinutes, endMinutes: end, slot: offer.slot, enrolled, waitlisted, cancelled,
    roster: certifyingRoster ? 'CERTIFICATE' : trainingRoster ? 'TRAINING' : null,
  };
}
