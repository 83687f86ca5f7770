import { Anchor, Button, Group, NativeSelect, SegmentedControl, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import type { Schemas } from '../../../../client/index.ts';
import { dataOf } from '../../api/failure.ts';
import { personName, queries } from '../../api/queries.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { formatWallTime, isoDay } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { useSearchFilters } from '../../ui/Pager.tsx';
import { Empty, FailureNotice, Loading } from '../../ui/states.tsx';

type Entry = Schemas['CalendarEntry'];

/** Monday-first weeks covering a month: YYYY-MM → the days shown, with whether each is in the month. */
function monthGrid(month: string): { day: string; inMonth: boolean }[] {
  const [year = 2000, monthNumber = 1] = month.split('-').map(Number);
  const first = new Date(Date.UTC(year, monthNumber - 1, 1));
  const leading = (first.getUTCDay() + 6) % 7;
  const daysInMonth = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
  const weeks = Math.ceil((leading + daysInMonth) / 7);
  return Array.from({ length: weeks * 7 }, (_, index) => {
    const date = new Date(Date.UTC(year, monthNumber - 1, 1 - leading + index));
    return { day: date.toISOString().slice(0, 10), inMonth: date.getUTCMonth() === monthNumber - 1 };
  });
}

/** The seven days (Monday first) of the week holding `day`. */
function weekOf(day: string): { day: string; inMonth: boolean }[] {
  const date = new Date(`${day}T12:00:00Z`);
  const monday = new Date(date.getTime() - ((date.getUTCDay() + 6) % 7) * 86_400_000);
  return Array.from({ length: 7 }, (_, index) => ({ day: new Date(monday.getTime() + index * 86_400_000).toISOString().slice(0, 10), inMonth: true }));
}

function shiftDay(day: string, by: number): string {
  return new Date(new Date(`${day}T12:00:00Z`).getTime() + by * 86_400_000).toISOString().slice(0, 10);
}

function shiftMonth(month: string, by: number): string {
  const [year = 2000, monthNumber = 1] = month.split('-').map(Number);
  const date = new Date(Date.UTC(year, monthNumber - 1 + by, 1));
  return date.toISOString().slice(0, 7);
}

/** Fill as colour: the one thing the chip's colour says (the text says it too). */
function fillClass(entry: Entry): string {
  if (entry.status === 'CANCELLED') return 'chip chip-cancelled';
  if (entry.enrollment_percentage >= 100) return 'chip chip-full';
  if (entry.enrollment_percentage >= 50) return 'chip chip-filling';
  return 'chip chip-open';
}

const weekdays = Array.from({ length: 7 }, (_, index) => new Intl.DateTimeFormat(navigator.language, { weekday: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + index))));

const dayFormat = new Intl.DateTimeFormat(navigator.language, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });

/**
 * A month or a week of sessions, each a chip coloured by fill that opens the session. The week shows
 * more of each (end time, instructor, fill %). View, period and filters (location, instructor, course) live
 * in the URL; the course filter is applied here (the calendar route filters by location and instructor).
 */
export function CalendarPage() {
  const [search, set] = useSearchFilters();
  const view = search.get('view') === 'week' ? 'week' : 'month';
  const month = search.get('month') ?? isoDay().slice(0, 7);
  const week = search.get('week') ?? (search.get('month') ? `${month}-01` : isoDay());
  const locationId = search.get('location') ?? '';
  const instructorId = search.get('instructor') ?? '';
  const courseId = search.get('course') ?? '';
  const days = view === 'week' ? weekOf(week) : monthGrid(month);
  const from = days[0]?.day ?? `${month}-01`;
  const to = days[days.length - 1]?.day ?? `${month}-28`;
  const locations = useQuery(queries.locations());
  const courses = useQuery(queries.courses());
  const certified = useQuery(queries.users({ role: 'IC' }));
  const provisional = useQuery(queries.users({ role: 'IP' }));
  const instructors = [...(certified.data?.items ?? []), ...(provisional.data?.items ?? [])];
  const calendar = useQuery({
    queryKey: ['calendar', from, to, locationId, instructorId],
    queryFn: () =>
      dataOf(api.GET('/v1/calendar', { params: { query: { from, to, ...(locationId ? { location_id: locationId } : {}), ...(instructorId ? { instructor_id: instructorId } : {}) } } })),
  });
  const entries = (calendar.data?.items ?? []).filter((entry) => !courseId || entry.course.id === courseId);
  const byDay = new Map<string, Entry[]>();
  for (const entry of entries) byDay.set(entry.session_date, [...(byDay.get(entry.session_date) ?? []), entry]);
  const periodName =
    view === 'week'
      ? messages.calendar.weekOf(dayFormat.format(new Date(`${from}T12:00:00Z`)), dayFormat.format(new Date(`${to}T12:00:00Z`)))
      : new Intl.DateTimeFormat(navigator.language, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${month}-15T12:00:00Z`));
  const step = (by: number) => (view === 'week' ? set({ week: shiftDay(from, 7 * by), month: shiftDay(from, 7 * by).slice(0, 7) }) : set({ month: shiftMonth(month, by), week: '' }));

  return (
    <>
      <PageHeader
        title={messages.calendar.title}
        actions={
          <SegmentedControl
            aria-label={messages.calendar.view}
            value={view}
            onChange={(value) => set({ view: value === 'week' ? 'week' : '', week: value === 'week' ? (view === 'month' ? `${month}-01` : week) : '' })}
            data={[
              { value: 'month', label: messages.calendar.month },
              { value: 'week', label: messages.calendar.week },
            ]}
          />
        }
      />
      <Group mb="md" gap="sm" wrap="wrap" align="flex-end">
        <Group gap="sm" wrap="nowrap" align="center">
          <Button variant="default" onClick={() => step(-1)} aria-label={view === 'week' ? messages.calendar.previousWeek : messages.calendar.previousMonth}>
            ‹
          </Button>
          <Text fw={600} miw={150} ta="center" aria-live="polite">
            {periodName}
          </Text>
          <Button variant="default" onClick={() => step(1)} aria-label={view === 'week' ? messages.calendar.nextWeek : messages.calendar.nextMonth}>
            ›
          </Button>
        </Group>
        <NativeSelect
          label={messages.session.location}
          value={locationId}
          onChange={(event) => set({ location: event.currentTarget.value })}
          data={[{ value: '', label: messages.calendar.allLocations }, ...(locations.data?.items ?? []).map((location) => ({ value: location.id, label: location.name }))]}
        />
        <NativeSelect
          label={messages.session.instructor}
          value={instructorId}
          onChange={(event) => set({ instructor: event.currentTarget.value })}
          data={[{ value: '', label: messages.calendar.allInstructors }, ...instructors.map((user) => ({ value: user.id, label: personName(user) ?? user.id }))]}
        />
        <NativeSelect
          label={messages.session.course}
          value={courseId}
          onChange={(event) => set({ course: event.currentTarget.value })}
          data={[{ value: '', label: messages.calendar.allCourses }, ...(courses.data?.items ?? []).map((course) => ({ value: course.id, label: course.code }))]}
        />
      </Group>
      {calendar.isPending ? (
        <Loading rows={6} />
      ) : calendar.isError ? (
        <FailureNotice error={calendar.error} onRetry={() => void calendar.refetch()} />
      ) : (
        <>
        {entries.length === 0 && <Empty>{messages.calendar.noSessions}</Empty>}
        {/* On a phone only the days with sessions show: a week without any, or a period without any, is hidden whole (no empty rows for a screen reader). */}
        <div className="month" role="grid" aria-label={periodName} data-view={view} data-empty={entries.length === 0 || undefined}>
          <div className="month-row month-head" role="row">
            {weekdays.map((weekday, index) => (
              <div key={weekday} role="columnheader" className="month-weekday">
                {view === 'week' ? dayFormat.format(new Date(`${days[index]?.day ?? from}T12:00:00Z`)) : weekday}
              </div>
            ))}
          </div>
          {Array.from({ length: days.length / 7 }, (_, week) => (
            <div className="month-row" role="row" key={week} data-empty={days.slice(week * 7, week * 7 + 7).every(({ day }) => (byDay.get(day) ?? []).length === 0) || undefined}>
              {days.slice(week * 7, week * 7 + 7).map(({ day, inMonth }) => {
                const entries = byDay.get(day) ?? [];
                return (
                  <div key={day} role="gridcell" className="month-day" data-outside={!inMonth || undefined} data-empty={entries.length === 0 || undefined}>
                    <div className="month-date">
                      <span className="phone-only">{weekdays[(new Date(`${day}T12:00:00Z`).getUTCDay() + 6) % 7]} </span>
                      {Number(day.slice(8))}
                    </div>
                    {entries.map((entry) =>
                      view === 'week' ? (
                        <Anchor key={entry.id} component={Link} to={`/sessions/${entry.id}`} className={`${fillClass(entry)} chip-week`} underline="never">
                          <span className="nowrap">
                            {formatWallTime(entry.start_time)}–{formatWallTime(entry.end_time)}
                          </span>{' '}
                          <strong>{entry.title}</strong>
                          <span className="chip-line">
                            {entry.location.name}
                            {entry.instructor.display_name ? ` · ${entry.instructor.display_name}` : ''}
                          </span>
                          <span className="chip-line">
                            {messages.calendar.weekFill(entry.current_enrollment, entry.max_capacity, entry.waitlisted, Math.round(entry.enrollment_percentage))}
                          </span>
                        </Anchor>
                      ) : (
                        <Anchor key={entry.id} component={Link} to={`/sessions/${entry.id}`} className={fillClass(entry)} underline="never">
                          <span className="nowrap">{formatWallTime(entry.start_time)}</span> {entry.title}
                          <span className="chip-fill">
                            {' '}
                            · {messages.calendar.fill(entry.current_enrollment, entry.max_capacity, entry.waitlisted)}
                          </span>
                        </Anchor>
                      ),
                    )}
                  </div>
                );
              })}
            </div>
          ))}
        </div>
        </>
      )}
      <Text size="sm" mt="sm">
        {messages.calendar.zoneNote}
      </Text>
    </>
  );
}
