import { createHash, randomBytes } from 'node:crypto';
import type { Actor } from '../../platform/db/actor.js';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { appendDomainEvent } from '../../platform/shared/events/append-domain-event.js';
import { renderFeed } from './calendar.ical.js';
import {
  type CalendarEntryRow,
  deleteFeed,
  selectCalendarEntries,
  selectFeed,
  selectFeedEntries,
  upsertFeed,
} from './calendar.repository.js';

export interface CalendarDeps {
  db: Db;
  /** The clock the feed window is counted from. */
  now?: () => Date;
}

export interface CalendarQuery {
  from: string;
  to: string;
  location_id?: string | undefined;
  location?: string | undefined;
  instructor_id?: string | undefined;
  instructor?: string | undefined;
}

type SignedIn = Actor & { userId: string };

const dayMs = 24 * 60 * 60 * 1000;
/** A calendar shows at most a year, leap day included. */
const maximumRangeDays = 366;
/** A feed covers the recent past and the year ahead. */
const feedDaysBack = 30;
const feedDaysAhead = 365;
/** 32 random bytes, base64url: what a feed URL carries. Anything else cannot be a token. */
const feedTokenPattern = /^[A-Za-z0-9_-]{43}$/;

/** 'YYYY-MM-DD' (already checked by the route schema) → days since 1970-01-01. */
function dayNumberOf(day: string): number {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return Date.UTC(year, month - 1, date) / dayMs;
}

const dayText = (dayNumber: number) => new Date(dayNumber * dayMs).toISOString().slice(0, 10);

function checkRange(from: string, to: string): void {
  const days = dayNumberOf(to) - dayNumberOf(from) + 1;
  if (days < 1) throw new AppError('VALIDATION_FAILED', 'to is before from', { field: 'querystring.to' });
  if (days > maximumRangeDays) {
    throw new AppError('VALIDATION_FAILED', `from..to spans ${days} days; at most ${maximumRangeDays} are shown at once`, { field: 'querystring.to' });
  }
}

/** A filter given under its two names (`location_id` or `location`): one value, or 400 if they differ. */
function oneFilter(query: CalendarQuery, name: 'location' | 'instructor'): string | null {
  const [long, short] = [query[`${name}_id`], query[name]];
  if (long !== undefined && short !== undefined && long !== short) {
    throw new AppError('VALIDATION_FAILED', `${name} and ${name}_id disagree: give one of them`, { field: `querystring.${name}` });
  }
  return long ?? short ?? null;
}

function toCalendarEntry(row: CalendarEntryRow) {
  return {
    id: row.id,
    title: row.title,
    status: row.status,
    session_date: row.session_date,
    start_time: row.start_time,
    end_time: row.end_time,
    starts_at: row.starts_at,
    ends_at: row.ends_at,
    max_capacity: row.max_capacity,
    current_enrollment: row.current_enrollment,
    waitlisted: row.waitlisted,
    enrollment_percentage: row.enrollment_percentage,
    participation: row.participation,
    version: row.version,
    course: { id: row.course_id, code: row.course_code, title: row.course_title },
    instructor: { id: row.instructor_id, display_name: row.instructor_name },
    location: {
      id: row.location_id,
      name: row.location_name,
      address_line1: row.address_line1,
      address_line2: row.address_line2,
      city: row.city,
      region: row.region,
      postal_code: row.postal_code,
      country: row.country,
      timezone: row.timezone,
    },
  };
}

export type CalendarEntry = ReturnType<typeof toCalendarEntry>;

/** The sessions between two days (both included) that the actor may see, with what a calendar shows of each. */
export async function readCalendar(deps: CalendarDeps, actor: Actor, query: CalendarQuery): Promise<{ from: string; to: string; items: CalendarEntry[] }> {
  checkRange(query.from, query.to);
  const filter = { from: query.from, to: query.to, locationId: oneFilter(query, 'location'), instructorId: oneFilter(query, 'instructor') };
  const rows = await deps.db.reader.withActor(actor, (tx) => selectCalendarEntries(tx, filter));
  return { from: query.from, to: query.to, items: rows.map(toCalendarEntry) };
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** Makes the actor a feed token, replacing any earlier one (whose URL stops working). The token is never stored. */
export async function issueFeed(deps: CalendarDeps, actor: SignedIn): Promise<{ token: string; created_at: Date }> {
  const token = randomBytes(32).toString('base64url');
  return deps.db.withActor(actor, async (tx) => {
    const feed = await upsertFeed(tx, actor.userId, hashOf(token));
    await appendDomainEvent(tx, {
      aggregateType: 'calendar_feed',
      aggregateId: feed.id,
      aggregateVersion: feed.version,
      eventType: feed.version === 1 ? 'calendar_feed.created' : 'calendar_feed.replaced',
      payload: { user_id: actor.userId },
    });
    return { token, created_at: feed.created_at };
  });
}

export async function describeFeed(deps: CalendarDeps, actor: SignedIn): Promise<{ exists: boolean; created_at: Date | null }> {
  const feed = await deps.db.withActor(actor, (tx) => selectFeed(tx, actor.userId));
  return { exists: feed !== null, created_at: feed?.created_at ?? null };
}

/** Deletes the actor's feed, so its URL answers 404; 404 if there was none. */
export async function revokeFeed(deps: CalendarDeps, actor: SignedIn): Promise<void> {
  await deps.db.withActor(actor, async (tx) => {
    const feed = await deleteFeed(tx, actor.userId);
    if (!feed) throw new AppError('NOT_FOUND', 'you have no calendar feed');
    await appendDomainEvent(tx, {
      aggregateType: 'calendar_feed',
      aggregateId: feed.id,
      aggregateVersion: feed.version,
      eventType: 'calendar_feed.revoked',
      payload: { user_id: actor.userId },
    });
  });
}

/**
 * The iCalendar text of the feed `token` opens, for `actor` (signed out: the token is the credential):
 * from 30 days back to a year ahead of today (UTC). 404 for anything that is not a live feed's token.
 */
export async function readFeed(deps: CalendarDeps, actor: Actor, token: string): Promise<string> {
  if (!feedTokenPattern.test(token)) throw new AppError('NOT_FOUND', 'no such calendar feed');
  const now = (deps.now ?? (() => new Date()))();
  const today = Math.floor(now.getTime() / dayMs);
  const [from, to] = [today - feedDaysBack, today + feedDaysAhead];
  const entries = await deps.db.reader.withActor(actor, (tx) => selectFeedEntries(tx, hashOf(token), dayText(from), dayText(to)));
  // Local days reach up to 14 hours either side of their UTC day: one day more each way covers every zone.
  const window = { from: new Date((from - 1) * dayMs), to: new Date((to + 2) * dayMs) };
  return renderFeed(entries, window, now);
}
