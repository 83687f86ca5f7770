import { Anchor, Button, Group, NativeSelect, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import type { Schemas } from '../../../../client/index.ts';
import { dataOf } from '../../api/failure.ts';
import { queries } from '../../api/queries.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { formatWallTime, isoDay } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { FailureNotice, Loading } from '../../ui/states.tsx';

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

/** A month of sessions, each a chip coloured by fill that opens the session; month and location in the URL. */
export function CalendarPage() {
  const [search, setSearch] = useSearchParams();
  const month = search.get('month') ?? isoDay().slice(0, 7);
  const locationId = search.get('location') ?? '';
  const days = monthGrid(month);
  const from = days[0]?.day ?? `${month}-01`;
  const to = days[days.length - 1]?.day ?? `${month}-28`;
  const locations = useQuery(queries.locations());
  const calendar = useQuery({
    queryKey: ['calendar', from, to, locationId],
    queryFn: () => dataOf(api.GET('/v1/calendar', { params: { query: { from, to, ...(locationId ? { location_id: locationId } : {}) } } })),
  });
  const set = (values: Record<string, string>) =>
    setSearch((previous) => {
      const next = new URLSearchParams(previous);
      for (const [name, value] of Object.entries(values)) {
        if (value) next.set(name, value);
        else next.delete(name);
      }
      return next;
    });
  const byDay = new Map<string, Entry[]>();
  for (const entry of calendar.data?.items ?? []) byDay.set(entry.session_date, [...(byDay.get(entry.session_date) ?? []), entry]);
  const monthName = new Intl.DateTimeFormat(navigator.language, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${month}-15T12:00:00Z`));

  return (
    <>
      <PageHeader title={messages.calendar.title} />
      <Group mb="md" gap="sm" wrap="wrap" align="flex-end">
        <Group gap="sm" wrap="nowrap" align="center">
        <Button variant="default" onClick={() => set({ month: shiftMonth(month, -1) })} aria-label={messages.calendar.previousMonth}>
          ‹
        </Button>
        <Text fw={600} miw={150} ta="center" aria-live="polite">
          {monthName}
        </Text>
        <Button variant="default" onClick={() => set({ month: shiftMonth(month, 1) })} aria-label={messages.calendar.nextMonth}>
          ›
        </Button>
        </Group>
        <NativeSelect
          label={messages.session.location}
          value={locationId}
          onChange={(event) => set({ location: event.currentTarget.value })}
          data={[{ value: '', label: messages.calendar.allLocations }, ...(locations.data?.items ?? []).map((location) => ({ value: location.id, label: location.name }))]}
        />
      </Group>
      {calendar.isPending ? (
        <Loading rows={6} />
      ) : calendar.isError ? (
        <FailureNotice error={calendar.error} onRetry={() => void calendar.refetch()} />
      ) : (
        <div className="month" role="grid" aria-label={monthName}>
          <div className="month-row month-head" role="row">
            {weekdays.map((weekday) => (
              <div key={weekday} role="columnheader" className="month-weekday">
                {weekday}
              </div>
            ))}
          </div>
          {Array.from({ length: days.length / 7 }, (_, week) => (
            <div className="month-row" role="row" key={week}>
              {days.slice(week * 7, week * 7 + 7).map(({ day, inMonth }) => {
                const entries = byDay.get(day) ?? [];
                return (
                  <div key={day} role="gridcell" className="month-day" data-outside={!inMonth || undefined} data-empty={entries.length === 0 || undefined}>
                    <div className="month-date">
                      <span className="phone-only">{weekdays[(new Date(`${day}T12:00:00Z`).getUTCDay() + 6) % 7]} </span>
                      {Number(day.slice(8))}
                    </div>
                    {entries.map((entry) => (
                      <Anchor key={entry.id} component={Link} to={`/sessions/${entry.id}`} className={fillClass(entry)} underline="never">
                        <span className="nowrap">{formatWallTime(entry.start_time)}</span> {entry.title}
                        <span className="chip-fill">
                          {' '}
                          · {messages.calendar.fill(entry.current_enrollment, entry.max_capacity, entry.waitlisted)}
                        </span>
                      </Anchor>
                    ))}
                  </div>
                );
              })}
            </div>
          ))}
        </div>
      )}
      <Text size="sm" mt="sm">
        {messages.calendar.zoneNote}
      </Text>
    </>
  );
}
