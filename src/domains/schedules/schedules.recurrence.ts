import rrulePackage, { type Options } from 'rrule';
import { AppError } from '../../errors.js';

// rrule ships CommonJS to Node: its named exports live on the default export.
const { RRule } = rrulePackage;

/**
 * RFC 5545 recurrence rules for schedules, expanded in floating wall-clock time.
 *
 * A schedule's sessions all start at its start_time in its time zone, on the days its rule gives. The
 * rule is therefore expanded over calendar days with no zone at all (UTC dates standing for local
 * days), so a weekly 09:00 Europe/Paris class stays 09:00 across daylight-saving changes; the zone
 * only matters when a day and time become an instant (in SQL, `AT TIME ZONE`).
 *
 * The rrule package parses loosely (`BYDAY=XX`, `FREQ=FOO`, `INTERVAL=abc` all pass), so rules are
 * checked here part by part first. At most one session a day: the time comes from start_time, never
 * from the rule (no BYHOUR, BYMINUTE, BYSECOND, no FREQ below DAILY).
 */

export interface RecurrenceRule {
  /** The rule as stored: upper case, without an `RRULE:` prefix. */
  text: string;
  options: Partial<Options>;
  /** UNTIL inside the rule, as a day (inclusive): wall-clock like everything else here. */
  untilDay: string | null;
}

const invalid = (message: string) => new AppError('VALIDATION_FAILED', `rrule: ${message}`, { field: 'body.rrule' });

const weekday = '(?:MO|TU|WE|TH|FR|SA|SU)';
const signed = (maximum: number) => (value: string) => /^[+-]?\d{1,3}$/.test(value) && Math.abs(Number(value)) >= 1 && Math.abs(Number(value)) <= maximum;
function byDay(value: string): boolean {
  const match = new RegExp(`^([+-]?\\d{1,2})?${weekday}$`).exec(value);
  return match !== null && (match[1] === undefined || signed(53)(match[1]));
}
const list = (accept: (value: string) => boolean) => (value: string) => value.split(',').every(accept);

/** What each supported part accepts; `FREQ` is checked on its own. */
const partValues: Record<string, { accept: (value: string) => boolean; expected: string }> = {
  INTERVAL: { accept: (value) => /^[1-9]\d{0,2}$/.test(value), expected: 'an integer from 1 to 999' },
  COUNT: { accept: (value) => /^[1-9]\d{0,3}$/.test(value) && Number(value) <= 1000, expected: 'an integer from 1 to 1000' },
  UNTIL: { accept: (value) => /^\d{8}(?:T\d{6}Z?)?$/.test(value) && dayOfUntil(value) !== null, expected: 'a date, YYYYMMDD or YYYYMMDDTHHMMSSZ' },
  BYDAY: { accept: list(byDay), expected: 'weekdays such as MO,TU or, monthly and yearly, 1MO or -1FR' },
  BYMONTHDAY: { accept: list(signed(31)), expected: 'days of the month from 1 to 31 (or -1 to -31)' },
  BYMONTH: { accept: list((value) => /^\d{1,2}$/.test(value) && Number(value) >= 1 && Number(value) <= 12), expected: 'months from 1 to 12' },
  BYSETPOS: { accept: list(signed(366)), expected: 'positions from 1 to 366 (or -1 to -366)' },
  WKST: { accept: (value) => new RegExp(`^${weekday}$`).test(value), expected: 'a weekday such as MO' },
};
const frequencies = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];
const timeParts = ['BYHOUR', 'BYMINUTE', 'BYSECOND'];

function dayOfUntil(value: string): string | null {
  const day = `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}`;
  return isCalendarDay(day) ? day : null;
}

export function isCalendarDay(day: string): boolean {
  const date = new Date(`${day}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(day) && !Number.isNaN(date.getTime()) && date.toISOString().startsWith(day);
}

function checkParts(parts: Map<string, string>): void {
  const frequency = parts.get('FREQ');
  if (frequency === undefined) throw invalid('FREQ is required, e.g. FREQ=WEEKLY;BYDAY=TU,TH');
  if (!frequencies.includes(frequency)) {
    throw invalid(`FREQ must be ${frequencies.join(', ')}: a schedule holds at most one session a day`);
  }
  for (const [name, value] of parts) {
    if (name === 'FREQ') continue;
    if (timeParts.includes(name)) throw invalid(`${name} is not allowed: the time of day is the schedule's start_time`);
    const part = partValues[name];
    if (!part) throw invalid(`${name} is not supported (use ${['FREQ', ...Object.keys(partValues)].join(', ')})`);
    if (!part.accept(value)) throw invalid(`${name} must be ${part.expected}`);
  }
  if (parts.has('COUNT') && parts.has('UNTIL')) throw invalid('COUNT and UNTIL cannot both be given');
  const ordinals = (parts.get('BYDAY') ?? '').split(',').some((day) => /\d/.test(day));
  if (ordinals && frequency !== 'MONTHLY' && frequency !== 'YEARLY') throw invalid('numbered weekdays (1MO, -1FR) need FREQ=MONTHLY or YEARLY');
  if (frequency === 'WEEKLY' && parts.has('BYMONTHDAY')) throw invalid('BYMONTHDAY cannot be used with FREQ=WEEKLY');
  if (frequency === 'DAILY' && (parts.has('BYMONTHDAY') || parts.has('BYSETPOS'))) {
    throw invalid('BYMONTHDAY and BYSETPOS need FREQ=WEEKLY, MONTHLY or YEARLY (e.g. FREQ=MONTHLY;BYMONTHDAY=1,15)');
  }
  if (parts.has('BYSETPOS') && ![...parts.keys()].some((name) => name.startsWith('BY') && name !== 'BYSETPOS')) {
    throw invalid('BYSETPOS needs another BY part to choose from');
  }
}

/** Parses and checks a rule; bad rules are 400 VALIDATION_FAILED on `body.rrule`, naming the part. */
export function parseRecurrenceRule(input: string): RecurrenceRule {
  const text = input.trim().toUpperCase().replace(/^RRULE:/, '');
  if (text === '') throw invalid('a rule is required, e.g. FREQ=WEEKLY;BYDAY=TU,TH');
  const parts = new Map<string, string>();
  for (const part of text.split(';')) {
    const match = /^([A-Z]+)=([A-Z0-9,+-]+)$/.exec(part);
    if (!match) throw invalid(`"${part.slice(0, 40)}" is not NAME=VALUE`);
    const [, name, value] = match as unknown as [string, string, string];
    if (parts.has(name)) throw invalid(`${name} is given twice`);
    parts.set(name, value);
  }
  checkParts(parts);
  // UNTIL is applied as a day (untilDay), like the schedule's own last day.
  const options = RRule.parseString(text);
  delete options.until;
  const untilPart = parts.get('UNTIL');
  return { text, options, untilDay: untilPart === undefined ? null : dayOfUntil(untilPart) };
}

// ---------------------------------------------------------------------------------------------------
// Expansion. rrule only checks its bounds when a date matches, so a rule that never matches (the 30th
// of February) runs on to the year 9999: seconds of CPU. Days are therefore moved by whole 400-year
// Gregorian cycles (which repeat weekdays and leap years exactly) to just below that limit, which
// bounds every expansion to a few centuries of iteration whatever the rule.
// ---------------------------------------------------------------------------------------------------

const maximumYear = 9999;
const cycleYears = 400;

function shiftFor(lastYear: number, lookaheadYears: number): number {
  return cycleYears * Math.max(0, Math.floor((maximumYear - lookaheadYears - lastYear) / cycleYears));
}

function floating(day: string, shiftYears: number): Date {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  const value = new Date(Date.UTC(2000, month - 1, date));
  value.setUTCFullYear(year + shiftYears);
  return value;
}

function dayOf(value: Date, shiftYears: number): string {
  const year = String(value.getUTCFullYear() - shiftYears).padStart(4, '0');
  return `${year}${value.toISOString().slice(4, 10)}`;
}

const yearOf = (day: string) => Number(day.slice(0, 4));
const earlier = (a: string | null, b: string | null) => (a === null ? b : b === null || a <= b ? a : b);

function ruleFrom(rule: RecurrenceRule, startDay: string, untilDay: string | null, shiftYears: number) {
  const until = earlier(rule.untilDay, untilDay);
  return new RRule({ ...rule.options, dtstart: floating(startDay, shiftYears), until: until === null ? null : floating(until, shiftYears), tzid: null });
}

export interface OccurrenceWindow {
  /** The schedule's first day: the rule's DTSTART, where COUNT and INTERVAL count from. */
  startDay: string;
  /** The schedule's last day, if any (inclusive); the rule's own UNTIL applies as well. */
  untilDay: string | null;
  /** Only days from … to, inclusive. */
  fromDay: string;
  toDay: string;
}

/** The days the rule gives within the window, in order, as YYYY-MM-DD. */
export function occurrenceDays(rule: RecurrenceRule, window: OccurrenceWindow): string[] {
  if (window.toDay < window.fromDay) return [];
  const shiftYears = shiftFor(yearOf(window.toDay), 1);
  const days = ruleFrom(rule, window.startDay, window.untilDay, shiftYears).between(
    floating(window.fromDay, shiftYears),
    floating(window.toDay, shiftYears),
    true,
  );
  return days.map((day) => dayOf(day, shiftYears));
}

/** The first day the rule gives from the schedule's first day on, looking a century ahead; null if none. */
export function firstOccurrenceDay(rule: RecurrenceRule, startDay: string, untilDay: string | null): string | null {
  const shiftYears = shiftFor(yearOf(startDay), 100);
  const first = ruleFrom(rule, startDay, untilDay, shiftYears).after(floating(startDay, shiftYears), true);
  return first === null || dayOf(first, shiftYears) > addDays(startDay, 36_525) ? null : dayOf(first, shiftYears);
}

export function addDays(day: string, days: number): string {
  const value = new Date(`${day}T00:00:00Z`);
  value.setUTCDate(value.getUTCDate() + days);
  return value.toISOString().slice(0, 10);
}
