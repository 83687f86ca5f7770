/**
 * Dates for the seed, all relative to one anchor day (`--today`), as whole days since 1970-01-01.
 * Nothing here reads the clock: the same anchor gives the same dates and timestamps.
 */
const msPerDay = 86_400_000;
const msPerMinute = 60_000;

export function parseDay(isoDate: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!match) throw new Error(`not a YYYY-MM-DD date: "${isoDate}"`);
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const ms = Date.UTC(y, m - 1, d);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) {
    throw new Error(`not a calendar date: "${isoDate}"`);
  }
  return ms / msPerDay;
}

/** 'YYYY-MM-DD' of a day number. */
export function isoDate(day: number): string {
  return new Date(day * msPerDay).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** 'HH:MM:00' of minutes after midnight. */
export function clockTime(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00`;
}

/** An instant as UTC ISO text, at `minutes` after midnight UTC of `day` (minutes may exceed a day). */
export function utcTimestamp(day: number, minutes = 0): string {
  return new Date(day * msPerDay + Math.round(minutes) * msPerMinute).toISOString();
}

/** The same day `months` calendar months later (clamped to the month's end, as PostgreSQL does). */
export function addMonths(day: number, months: number): number {
  const date = new Date(day * msPerDay);
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(date.getUTCDate(), lastDay)) / msPerDay;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();

/** Minutes the zone is ahead of UTC at about that instant (cached per zone and day). */
function zoneOffsetMinutes(timeZone: string, utcMs: number): number {
  const key = `${timeZone}@${Math.floor(utcMs / 3_600_000)}`;
  const cached = offsets.get(key);
  if (cached !== undefined) return cached;
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(new Date(utcMs)).map((p) => [p.type, Number(p.value)]));
  const asUtc = Date.UTC(parts['year'] ?? 0, (parts['month'] ?? 1) - 1, parts['day'] ?? 1, parts['hour'] ?? 0, parts['minute'] ?? 0);
  const offset = Math.round((asUtc - Math.floor(utcMs / msPerMinute) * msPerMinute) / msPerMinute);
  offsets.set(key, offset);
  return offset;
}

/**
 * The instant of a wall-clock time in a zone, as UTC ISO text. Computed here rather than with
 * `AT TIME ZONE` in SQL so both engines receive the very same instant whatever their tz data.
 */
export function zonedTimestamp(day: number, minutes: number, timeZone: string): string {
  const wallMs = day * msPerDay + minutes * msPerMinute;
  let utcMs = wallMs - zoneOffsetMinutes(timeZone, wallMs) * msPerMinute;
  // A second pass settles times near a daylight-saving switch.
  utcMs = wallMs - zoneOffsetMinutes(timeZone, utcMs) * msPerMinute;
  return new Date(utcMs).toISOString();
}

/** Minutes after midnight UTC of `day` for an ISO instant (the inverse of utcTimestamp). */
export function minutesSince(day: number, iso: string): number {
  return (Date.parse(iso) - day * msPerDay) / msPerMinute;
}

export function dayOf(iso: string): number {
  return Math.floor(Date.parse(iso) / msPerDay);
}
