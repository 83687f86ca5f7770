import { Alert, Anchor, Badge, Button, Checkbox, Group, List, NativeSelect, NumberInput, Paper, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import type { Schemas } from '../../../../client/index.ts';
import { ApiFailure, dataOf, fieldError } from '../../api/failure.ts';
import { personName, queries } from '../../api/queries.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { formatSessionDay, formatWallTime, isoDay } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { describeFailure } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';
import { describeRule, occurrences, offsetOn, type RuleForm, rruleText, type ScheduleFrequency, type WeekdayCode, weekdayCodes } from './recurrence.ts';

type ScheduleChange = Schemas['ScheduleChange'];
type CalendarEntry = Schemas['CalendarEntry'];

/** How many sessions the preview lists (the schedule may make more). */
const previewLength = 12;
const weekdayLabel = (code: WeekdayCode) =>
  new Intl.DateTimeFormat(navigator.language, { weekday: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + weekdayCodes.indexOf(code))));

function endTime(start: string, minutes: number): string {
  const [hours = 0, mins = 0] = start.split(':').map(Number);
  const total = Math.min(24 * 60 - 1, hours * 60 + mins + minutes);
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

/**
 * The schedule builder: the rule in fields, a live preview in words and days (the zone named, a
 * daylight-saving change noted, the instructor's other sessions marked as conflicts), then the API's
 * report of what it made, occurrence by occurrence.
 */
export function ScheduleBuilderPage() {
  const queryClient = useQueryClient();
  const courses = useQuery(queries.courses());
  const locations = useQuery(queries.locations());
  const certified = useQuery(queries.users({ role: 'IC' }));
  const provisional = useQuery(queries.users({ role: 'IP' }));
  const [rule, setRule] = useState<RuleForm>({ frequency: 'WEEKLY', interval: 1, weekdays: ['TU'], startDate: isoDay(7), startTime: '09:00', end: 'count', count: 12, until: isoDay(90) });
  const [details, setDetails] = useState({ course_id: '', location_id: '', instructor_id: '', duration_minutes: 90 as number | string, max_capacity: 12 as number | string, self_enrollment_allowed: true });
  const setRulePart = <K extends keyof RuleForm>(name: K, value: RuleForm[K]) => setRule((previous) => ({ ...previous, [name]: value }));
  const setDetail = (name: keyof typeof details, value: unknown) => setDetails((previous) => ({ ...previous, [name]: value }));
  const zone = locations.data?.items.find((location) => location.id === details.location_id)?.timezone;
  const instructors = [...(certified.data?.items ?? []), ...(provisional.data?.items ?? [])];
  const days = occurrences(rule, previewLength);
  const duration = Number(details.duration_minutes) || 0;
  const finish = endTime(rule.startTime, duration);
  const lastDay = rule.end === 'count' ? occurrences(rule, rule.count).at(-1) : rule.until;

  const busy = useQuery({
    queryKey: ['calendar', 'instructor', details.instructor_id, days[0], days.at(-1)],
    queryFn: () => dataOf(api.GET('/v1/calendar', { params: { query: { from: days[0] ?? '', to: days.at(-1) ?? '', instructor_id: details.instructor_id } } })),
    enabled: details.instructor_id !== '' && days.length > 0,
  });
  const conflictOn = (day: string): CalendarEntry | undefined =>
    busy.data?.items.find((entry) => entry.session_date === day && entry.status !== 'CANCELLED' && entry.start_time.slice(0, 5) < finish && entry.end_time.slice(0, 5) > rule.startTime);

  const create = useMutation({
    mutationFn: () =>
      dataOf(
        api.POST('/v1/schedules', {
          body: {
            course_id: details.course_id,
            location_id: details.location_id,
            instructor_id: details.instructor_id,
            rrule: rruleText(rule),
            start_date: rule.startDate,
            start_time: rule.startTime,
            duration_minutes: duration,
            max_capacity: Number(details.max_capacity),
            self_enrollment_allowed: details.self_enrollment_allowed,
            ...(rule.end === 'until' ? { until: rule.until } : {}),
            // A finite rule is made whole at once when it ends within the API's year ahead; others, their first 90 days.
            ...(lastDay && lastDay <= isoDay(365) && lastDay >= isoDay(0) ? { generate_until: lastDay } : {}),
          },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['schedules'] });
      void queryClient.invalidateQueries({ queryKey: ['sessions'] });
      void queryClient.invalidateQueries({ queryKey: ['calendar'] });
    },
  });
  const error = (field: string) => fieldError(create.error, field);
  const unplaced = create.error instanceof ApiFailure && !create.error.field;
  const placeholder = (label: string) => [{ value: '', label: `— ${label} —` }];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const summary = describeRule(rule, formatWallTime(rule.startTime), zone);

  return (
    <>
      <PageHeader
        title={messages.schedules.newTitle}
        actions={
          <Anchor component={Link} to="/schedules">
            {messages.schedules.allSchedules}
          </Anchor>
        }
      />
      {create.data ? (
        // Made: the report replaces the form (the preview would now find the schedule's own sessions as conflicts).
        <ScheduleReport change={create.data} onAnother={() => create.reset()} />
      ) : (
      <div className="builder">
        <form onSubmit={submit} noValidate>
          <Stack>
            {unplaced && (
              <Alert color="red" role="alert">
                {describeFailure(create.error)}
              </Alert>
            )}
            <NativeSelect
              label={messages.schedules.course}
              required
              value={details.course_id}
              onChange={(event) => setDetail('course_id', event.currentTarget.value)}
              error={error('course_id')}
              data={[...placeholder(messages.schedules.course), ...(courses.data?.items ?? []).filter((course) => course.status === 'PUBLISHED').map((course) => ({ value: course.id, label: `${course.code} · ${course.title}` }))]}
            />
            <div className="form-grid">
              <NativeSelect
                label={messages.schedules.location}
                required
                value={details.location_id}
                onChange={(event) => setDetail('location_id', event.currentTarget.value)}
                error={error('location_id') ?? error('timezone')}
                data={[...placeholder(messages.schedules.location), ...(locations.data?.items ?? []).map((location) => ({ value: location.id, label: `${location.name} (${location.timezone})` }))]}
              />
              <NativeSelect
                label={messages.schedules.instructor}
                required
                value={details.instructor_id}
                onChange={(event) => setDetail('instructor_id', event.currentTarget.value)}
                error={error('instructor_id')}
                data={[...placeholder(messages.schedules.instructor), ...instructors.map((user) => ({ value: user.id, label: personName(user) ?? user.id }))]}
              />
              <NativeSelect
                label={messages.schedules.frequency}
                value={rule.frequency}
                onChange={(event) => setRulePart('frequency', event.currentTarget.value as ScheduleFrequency)}
                error={error('rrule')}
                data={(['DAILY', 'WEEKLY', 'MONTHLY'] as const).map((value) => ({ value, label: messages.schedules.frequencies[value] ?? value }))}
              />
              <NumberInput label={messages.schedules.interval(rule.frequency)} min={1} max={999} value={rule.interval} onChange={(value) => setRulePart('interval', Math.max(1, Number(value) || 1))} />
            </div>
            {rule.frequency === 'WEEKLY' && (
              <Checkbox.Group label={messages.schedules.weekdays} value={rule.weekdays} onChange={(value) => setRulePart('weekdays', value as WeekdayCode[])}>
                <Group gap="sm" mt={4}>
                  {weekdayCodes.map((code) => (
                    <Checkbox key={code} value={code} label={weekdayLabel(code)} />
                  ))}
                </Group>
              </Checkbox.Group>
            )}
            <div className="form-grid">
              <TextInput type="date" label={messages.schedules.startDate} required value={rule.startDate} onChange={(event) => setRulePart('startDate', event.currentTarget.value)} error={error('start_date')} />
              <TextInput type="time" label={messages.schedules.startTime} description={zone} required value={rule.startTime} onChange={(event) => setRulePart('startTime', event.currentTarget.value)} error={error('start_time')} />
              <NumberInput label={messages.schedules.duration} required min={1} max={1439} value={details.duration_minutes} onChange={(value) => setDetail('duration_minutes', value)} error={error('duration_minutes')} />
              <NumberInput label={messages.schedules.capacity} required min={1} max={100000} value={details.max_capacity} onChange={(value) => setDetail('max_capacity', value)} error={error('max_capacity')} />
            </div>
            <Stack gap={4}>
              <Text size="sm" fw={500} id="schedule-ends">
                {messages.schedules.ends}
              </Text>
              <SegmentedControl
                aria-labelledby="schedule-ends"
                value={rule.end}
                onChange={(value) => setRulePart('end', value === 'until' ? 'until' : 'count')}
                data={[
                  { value: 'count', label: messages.schedules.endAfter },
                  { value: 'until', label: messages.schedules.endOn },
                ]}
              />
            </Stack>
            {rule.end === 'count' ? (
              <NumberInput label={messages.schedules.count} min={1} max={1000} value={rule.count} onChange={(value) => setRulePart('count', Math.max(1, Number(value) || 1))} error={error('rrule')} />
            ) : (
              <TextInput type="date" label={messages.schedules.until} value={rule.until} onChange={(event) => setRulePart('until', event.currentTarget.value)} error={error('until')} />
            )}
            <Checkbox label={messages.schedules.selfEnrollment} checked={details.self_enrollment_allowed} onChange={(event) => setDetail('self_enrollment_allowed', event.currentTarget.checked)} />
            <Group justify="flex-end">
              <Button type="submit" loading={create.isPending}>
                {messages.schedules.create}
              </Button>
            </Group>
          </Stack>
        </form>
        <Paper withBorder p="md" className="builder-preview" aria-labelledby="schedule-preview">
          <Title order={3} size="h5" id="schedule-preview" mb="xs">
            {messages.schedules.preview}
          </Title>
          <Text fw={600} data-testid="schedule-summary" aria-live="polite">
            {summary}
          </Text>
          {zone && (
            <Text size="sm" c="dimmed" mb="xs">
              {messages.schedules.zoneOf(zone)}
            </Text>
          )}
          {days.length === 0 ? (
            <Text size="sm">{messages.schedules.previewEmpty}</Text>
          ) : (
            <>
              <Text size="sm" mt="xs" mb={4}>
                {messages.schedules.nextSessions(days.length)}
              </Text>
              <List size="sm" spacing={2} data-testid="schedule-preview-days">
                {days.map((day, index) => {
                  const conflict = conflictOn(day);
                  const previous = days[index - 1];
                  const offset = zone ? offsetOn(day, rule.startTime, zone) : '';
                  const previousOffset = zone && previous ? offsetOn(previous, rule.startTime, zone) : offset;
                  return (
                    <List.Item key={day}>
                      {offset !== previousOffset && previous && (
                        <Text size="sm" fw={700}>
                          {messages.schedules.clocksChange(formatSessionDay(previous), formatSessionDay(day), previousOffset, offset)}
                        </Text>
                      )}
                      {formatSessionDay(day)}, {formatWallTime(rule.startTime)}–{formatWallTime(finish)}
                      {conflict && (
                        <>
                          {' '}
                          <Badge color="red" variant="dot" radius="sm" tt="none" c="dark.7" title={messages.schedules.busyWith(conflict.title)}>
                            {messages.schedules.busy}
                          </Badge>
                          <span className="visually-hidden">{messages.schedules.busyWith(conflict.title)}</span>
                        </>
                      )}
                    </List.Item>
                  );
                })}
              </List>
            </>
          )}
        </Paper>
      </div>
      )}
    </>
  );
}

type Occurrence = { session_date: string; start_time: string; outcome: string; detail: string; sessionId: string | null };

/** The API's answer, one row per occurrence: made, changed, left alone, or not made because of a conflict. */
export function ScheduleReport({ change, onAnother }: { change: ScheduleChange; onAnother?: () => void }) {
  const { sessions } = change;
  const rows: Occurrence[] = [
    ...sessions.created.map((row) => ({ ...row, outcome: 'created', detail: '', sessionId: row.id })),
    ...sessions.updated.map((row) => ({ ...row, outcome: 'updated', detail: '', sessionId: row.id })),
    ...sessions.cancelled.map((row) => ({ ...row, outcome: 'cancelled', detail: '', sessionId: row.id })),
    ...sessions.left_alone.map((row) => ({ ...row, outcome: 'left_alone', detail: row.reason, sessionId: row.id })),
    ...sessions.capacity_kept.map((row) => ({ ...row, outcome: 'capacity_kept', detail: `${row.current_enrollment} / ${row.max_capacity}`, sessionId: row.id })),
    ...sessions.conflicts.map((row) => ({ ...row, outcome: 'conflicts', detail: messages.schedules.conflictWith(row.resource), sessionId: row.conflicting_session_id })),
  ].sort((a, b) => `${a.session_date}${a.start_time}`.localeCompare(`${b.session_date}${b.start_time}`));
  return (
    <Stack gap="xs" data-testid="schedule-report">
      <Group justify="space-between" wrap="wrap">
        <Title order={3} size="h4">
          {onAnother ? messages.schedules.report : messages.schedules.editReport}
        </Title>
        {onAnother && (
          <Button variant="default" size="sm" onClick={onAnother}>
            {messages.schedules.another}
          </Button>
        )}
      </Group>
      <Text role="status" fw={600}>
        {onAnother
          ? messages.schedules.reportSummary(sessions.created.length, sessions.conflicts.length)
          : messages.schedules.editSummary(sessions.updated.length + sessions.created.length, sessions.cancelled.length, sessions.left_alone.length + sessions.capacity_kept.length, sessions.conflicts.length)}
      </Text>
      <div className="table-scroll">
        <Table striped verticalSpacing="xs" className="stack-on-phone">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{messages.session.date}</Table.Th>
              <Table.Th>{messages.schedules.outcome}</Table.Th>
              <Table.Th>{messages.schedules.detail}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={`${row.outcome}-${row.session_date}-${row.start_time}`} data-outcome={row.outcome}>
                <Table.Td className="nowrap">
                  {formatSessionDay(row.session_date)}, {formatWallTime(row.start_time)}
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={row.outcome === 'conflicts' ? 'INVALID' : row.outcome === 'created' ? 'ACTIVE' : 'PENDING'} label={messages.schedules.outcomes[row.outcome]} />
                </Table.Td>
                <Table.Td data-label={messages.schedules.detail}>
                  {row.detail}
                  {row.sessionId && (
                    <>
                      {row.detail ? ' · ' : ''}
                      <Anchor component={Link} to={`/sessions/${row.sessionId}`}>
                        {messages.schedules.openSession}
                      </Anchor>
                    </>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </div>
    </Stack>
  );
}
