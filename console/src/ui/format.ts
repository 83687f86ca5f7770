/**
 * Dates and times as the session's location sees them. A session's day and times are wall-clock values
 * of its location (the API stores them so), so they are shown as they are and the zone is named beside
 * them; only instants (created_at, issued_at) are converted, into the zone given.
 */
const locale = navigator.language || 'en';

/**
 * Formatters made once per set of options: building an Intl.DateTimeFormat costs far more than formatting
 * with it, and a list of 200 enrollments formats 200 instants in one zone.
 */
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
function dateTimeFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify(options);
  let format = dateTimeFormats.get(key);
  if (!format) dateTimeFormats.set(key, (format = new Intl.DateTimeFormat(locale, options)));
  return format;
}
const numberFormat = new Intl.NumberFormat(locale);
const textCollator = new Intl.Collator(locale, { numeric: true });

export function formatSessionDay(day: string): string {
  // Noon UTC keeps the calendar day whatever the viewer's zone.
  return dateTimeFormat({ weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T12:00:00Z`));
}

export function formatWallTime(time: string): string {
  const [hours = '0', minutes = '0'] = time.split(':');
  return dateTimeFormat({ hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }).format(new Date(Date.UTC(2000, 0, 1, Number(hours), Number(minutes))));
}

/** "Tue 14 Oct 2026, 09:00–17:00 Europe/Paris" */
export function formatSessionWhen(session: { session_date: string; start_time: string; end_time: string }, timeZone: string | undefined): string {
  const zone = timeZone ? ` ${timeZone}` : '';
  return `${formatSessionDay(session.session_date)}, ${formatWallTime(session.start_time)}–${formatWallTime(session.end_time)}${zone}`;
}

/** The instant formats by zone ('' the viewer's own), found without building an options key per call. */
const instantFormats = new Map<string, Intl.DateTimeFormat>();

export function formatInstant(instant: string | null | undefined, timeZone?: string): string {
  if (!instant) return '—';
  let format = instantFormats.get(timeZone ?? '');
  if (!format) instantFormats.set(timeZone ?? '', (format = dateTimeFormat({ dateStyle: 'medium', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) })));
  return format.format(new Date(instant));
}

export function formatDate(instant: string | null | undefined): string {
  if (!instant) return '—';
  return dateTimeFormat({ dateStyle: 'medium' }).format(new Date(instant));
}

export function formatNumber(value: number): string {
  return numberFormat.format(value);
}

/** Today as YYYY-MM-DD in the viewer's zone (list filters). */
export function isoDay(offsetDays = 0): string {
  const date = new Date();
  date.setDate(date.getDate() + offsetDays);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Names in the viewer's alphabetical order, numbers by value ("Student 9" before "Student 10"). */
export function compareText(a: string, b: string): number {
  return textCollator.compare(a, b);
}
