import { Frequency, RRule, type Weekday } from 'rrule';
import { messages } from '../../messages.ts';

/**
 * The rules the schedule builder makes — every n days, every n weeks on some weekdays, every n months
 * on a day of the month — as the RRULE the API stores, their days, and their words. Days are expanded
 * like the server does: floating calendar days (UTC dates standing for local days), so a 09:00 class
 * stays at 09:00 across a daylight-saving change; the zone only names the offset that changes.
 */
export type ScheduleFrequency = 'DAILY' | 'WEEKLY' | 'MONTHLY';
export const weekdayCodes = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type WeekdayCode = (typeof weekdayCodes)[number];

export interface RuleForm {
  frequency: ScheduleFrequency;
  interval: number;
  weekdays: WeekdayCode[];
  startDate: string;
  startTime: string;
  /** Ends after a number of sessions, or on a day (inclusive). */
  end: 'count' | 'until';
  count: number;
  until: string;
}

const rruleDays: Record<WeekdayCode, Weekday> = { MO: RRule.MO, TU: RRule.TU, WE: RRule.WE, TH: RRule.TH, FR: RRule.FR, SA: RRule.SA, SU: RRule.SU };
const rruleFrequency = { DAILY: Frequency.DAILY, WEEKLY: Frequency.WEEKLY, MONTHLY: Frequency.MONTHLY } as const;

/** FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=12 — the schedule's own `until` carries an end day. */
export function rruleText(form: RuleForm): string {
  const parts = [`FREQ=${form.frequency}`];
  if (form.interval > 1) parts.push(`INTERVAL=${form.interval}`);
  if (form.frequency === 'WEEKLY' && form.weekdays.length > 0) parts.push(`BYDAY=${sortedWeekdays(form.weekdays).join(',')}`);
  if (form.end === 'count') parts.push(`COUNT=${form.count}`);
  return parts.join(';');
}

function sortedWeekdays(days: WeekdayCode[]): WeekdayCode[] {
  return weekdayCodes.filter((code) => days.includes(code));
}

function floating(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

/** The days the rule gives, at most `limit` of them (the builder previews, it does not generate). */
export function occurrences(form: RuleForm, limit: number): string[] {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.startDate) || form.interval < 1) return [];
  if (form.end === 'until' && !/^\d{4}-\d{2}-\d{2}$/.test(form.until)) return [];
  const rule = new RRule({
    freq: rruleFrequency[form.frequency],
    interval: form.interval,
    dtstart: floating(form.startDate),
    ...(form.frequency === 'WEEKLY' && form.weekdays.length > 0 ? { byweekday: sortedWeekdays(form.weekdays).map((code) => rruleDays[code]) } : {}),
    ...(form.end === 'count' ? { count: form.count } : { until: floating(form.until) }),
    tzid: null,
  });
  return rule.all((_, index) => index < limit).map((date) => date.toISOString().slice(0, 10));
}

const locale = navigator.language || 'en';
const weekdayName = (code: WeekdayCode) =>
  new Intl.DateTimeFormat(locale, { weekday: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + weekdayCodes.indexOf(code))));
const listFormat = new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' });
const dayFormat = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** "every Tuesday at 09:00 Europe/Paris, 12 sessions" */
export function describeRule(form: RuleForm, time: string, zone: string | undefined): string {
  const weekdays = form.frequency === 'WEEKLY' && form.weekdays.length > 0 ? listFormat.format(sortedWeekdays(form.weekdays).map(weekdayName)) : null;
  const dayOfMonth = Number(form.startDate.slice(8, 10)) || 1;
  const when = messages.schedules.every(form.frequency, form.interval, weekdays, dayOfMonth);
  const end = form.end === 'count' ? messages.schedules.sessionsCount(form.count) : form.until ? messages.schedules.untilDay(formatDay(form.until)) : messages.schedules.noEnd;
  return `${when} ${messages.schedules.at(time, zone ?? '')}, ${end}`;
}

export function formatDay(day: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(day) ? dayFormat.format(new Date(`${day}T12:00:00Z`)) : day;
}

/** A stored rule back into the builder's terms, when it is one the builder makes (for the list's words). */
export function ruleFormOf(rrule: string, startDate: string, until: string | null): RuleForm | null {
  const parts = new Map(rrule.split(';').map((part) => part.split('=') as [string, string]));
  const frequency = parts.get('FREQ');
  if (frequency !== 'DAILY' && frequency !== 'WEEKLY' && frequency !== 'MONTHLY') return null;
  const known = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'COUNT']);
  if ([...parts.keys()].some((name) => !known.has(name))) return null;
  const weekdays = (parts.get('BYDAY') ?? '').split(',').filter((code): code is WeekdayCode => (weekdayCodes as readonly string[]).includes(code));
  const count = parts.get('COUNT');
  return {
    frequency,
    interval: Number(parts.get('INTERVAL') ?? 1),
    weekdays,
    startDate,
    startTime: '',
    end: count ? 'count' : 'until',
    count: Number(count ?? 0),
    until: until ?? '',
  };
}

/** The zone's UTC offset on a day at a wall-clock time ("GMT+1"): where two sessions differ, the clocks changed between them. */
export function offsetOn(day: string, time: string, zone: string): string {
  const [hours = 0, minutes = 0] = time.split(':').map(Number);
  const approximate = new Date(`${day}T00:00:00Z`).getTime() + (hours * 60 + minutes) * 60_000;
  const part = new Intl.DateTimeFormat('en', { timeZone: zone, timeZoneName: 'shortOffset' }).formatToParts(approximate).find((item) => item.type === 'timeZoneName');
  return part?.value ?? '';
}
