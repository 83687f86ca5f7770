/**
 * VTIMEZONE components (RFC 5545, section 3.6.5) built from the zone rules Node's Intl knows, the same
 * IANA database PostgreSQL uses for `AT TIME ZONE`. A TZID without its VTIMEZONE leaves clients to
 * guess the zone from its name; with it, every client computes the same instants as the database.
 * Only the window a feed covers is described: the offset in force at its start, then each change in it.
 */

export interface TimeWindow {
  from: Date;
  to: Date;
}

interface OffsetChange {
  /** The first instant of the new offset. */
  at: number;
  fromMinutes: number;
  toMinutes: number;
}

const minute = 60_000;
const day = 24 * 60 * minute;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** The zone's offset from UTC at `instant`, in minutes: its wall clock then, read as UTC, minus the instant. */
function offsetMinutesAt(zone: string, instant: number): number {
  const parts = Object.fromEntries(formatterOf(zone).formatToParts(instant).map((part) => [part.type, Number(part.value)]));
  const wallClock = Date.UTC(parts['year'] as number, (parts['month'] as number) - 1, parts['day'], parts['hour'], parts['minute'], parts['second']);
  return Math.round((wallClock - Math.floor(instant / 1000) * 1000) / minute);
}

/** Offset changes in the window: a day-by-day scan (no zone changes twice in a day), then a binary search for the minute. */
function offsetChanges(zone: string, window: TimeWindow): OffsetChange[] {
  const changes: OffsetChange[] = [];
  for (let start = window.from.getTime(); start < window.to.getTime(); start += day) {
    const before = offsetMinutesAt(zone, start);
    const after = offsetMinutesAt(zone, start + day);
    if (before === after) continue;
    let [low, high] = [start, start + day];
    while (high - low > minute) {
      const middle = low + Math.floor((high - low) / 2 / minute) * minute;
      if (offsetMinutesAt(zone, middle) === before) low = middle;
      else high = middle;
    }
    changes.push({ at: high, fromMinutes: before, toMinutes: after });
  }
  return changes;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `+0100`, `-0330`. */
function utcOffsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  return `${sign}${pad(Math.floor(absolute / 60))}${pad(absolute % 60)}`;
}

/** A local date-time for DTSTART: the wall clock at `instant` under `offsetMinutes`. */
function localDateTimeText(instant: number, offsetMinutes: number): string {
  const local = new Date(instant + offsetMinutes * minute);
  return `${pad(local.getUTCFullYear(), 4)}${pad(local.getUTCMonth() + 1)}${pad(local.getUTCDate())}T${pad(local.getUTCHours())}${pad(local.getUTCMinutes())}${pad(local.getUTCSeconds())}`;
}

/**
 * The VTIMEZONE of `zone` for `window`, or null for a zone Intl does not know. An observance with a
 * larger offset than the smallest one in the window is DAYLIGHT, the others STANDARD. Each DTSTART is
 * the local time of the change under the offset before it, as the RFC says.
 */
export function vtimezoneOf(zone: string, window: TimeWindow): string | null {
  let initial: number;
  try {
    initial = offsetMinutesAt(zone, window.from.getTime());
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
  // The offset in force at the window's start is declared from 1970 on, as VTIMEZONE generators commonly do:
  // clients then have an offset for any time before the first change, not only from the window's start.
  const observances = [{ at: Date.UTC(1970, 0, 1) - initial * minute, fromMinutes: initial, toMinutes: initial }, ...offsetChanges(zone, window)];
  const standardMinutes = Math.min(...observances.map((observance) => observance.toMinutes));
  const lines = ['BEGIN:VTIMEZONE', `TZID:${zone}`];
  for (const observance of observances) {
    const kind = observance.toMinutes > standardMinutes ? 'DAYLIGHT' : 'STANDARD';
    lines.push(
      `BEGIN:${kind}`,
      `DTSTART:${localDateTimeText(observance.at, observance.fromMinutes)}`,
      `TZOFFSETFROM:${utcOffsetText(observance.fromMinutes)}`,
      `TZOFFSETTO:${utcOffsetText(observance.toMinutes)}`,
      `END:${kind}`,
    );
  }
  lines.push('END:VTIMEZONE');
  return lines.join('\r\n');
}
