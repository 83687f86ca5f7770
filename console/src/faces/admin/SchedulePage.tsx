import { Button, Group, NativeSelect, NumberInput, Paper, SegmentedControl, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useParams } from 'react-router';
import type { Schemas } from '../../../../client/index.ts';
import { ApiFailure, dataOf, fieldError } from '../../api/failure.ts';
import { personName, queries } from '../../api/queries.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { formatWallTime } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { PersonName } from '../../ui/PersonName.tsx';
import { describeFailure, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';
import { describeRule, formatDay, ruleFormOf } from './recurrence.ts';
import { ScheduleReport } from './ScheduleBuilderPage.tsx';

type Schedule = Schemas['Schedule'];
type ScheduleChange = Schemas['ScheduleChange'];
type Scope = 'all' | 'following' | 'this';
const scopes: Scope[] = ['all', 'following', 'this'];

/** One schedule: its rule in words, pause or resume, and an edit of its upcoming sessions (all, from a day on, or one day) with the API's report. */
export function SchedulePage() {
  const { id = '' } = useParams();
  const schedule = useQuery({ queryKey: ['schedules', id], queryFn: () => dataOf(api.GET('/v1/schedules/{id}', { params: { path: { id } } })) });
  const course = useQuery({ ...queries.course(schedule.data?.course_id ?? ''), enabled: schedule.isSuccess });
  const location = useQuery({ ...queries.location(schedule.data?.location_id ?? ''), enabled: schedule.isSuccess });
  const [report, setReport] = useState<ScheduleChange | null>(null);
  // The edit form starts again after its own change or a reload, not when the stream brings someone else's:
  // it keeps the version it read, so their change meanwhile is a 409 rather than lost typing.
  const [formRound, setFormRound] = useState(0);
  if (schedule.isPending) return <Loading rows={6} />;
  if (schedule.isError) return <FailureNotice error={schedule.error} onRetry={() => void schedule.refetch()} />;
  const data = schedule.data;
  const form = ruleFormOf(data.rrule, data.start_date, data.until);
  const rule = form ? describeRule(form, formatWallTime(data.start_time), data.timezone) : `${data.rrule} · ${formatWallTime(data.start_time)} ${data.timezone}`;
  return (
    <Stack gap="md">
      <PageHeader title={course.data ? `${course.data.code} · ${course.data.title}` : messages.schedules.title} actions={<PauseButton schedule={data} />} />
      <Paper withBorder p="md">
        <Stack gap="sm">
          <Group gap="sm" wrap="wrap">
            <StatusBadge status={data.status} label={messages.schedules.statuses[data.status]} />
            <Text fw={600} data-testid="schedule-rule">
              {rule}
            </Text>
          </Group>
          <div className="facts-grid">
            <Text size="sm">
              {messages.schedules.location}: {location.data?.name ?? '…'}
            </Text>
            <Text size="sm">
              {messages.schedules.instructor}: <PersonName id={data.instructor_id} />
            </Text>
            <Text size="sm">
              {messages.schedules.capacity}: {data.max_capacity} · {messages.schedules.duration}: {data.duration_minutes}
            </Text>
            <Text size="sm">
              {messages.schedules.generatedThrough}: {data.generated_through ? formatDay(data.generated_through) : '—'}
            </Text>
          </div>
        </Stack>
      </Paper>
      <Paper withBorder p="md">
        <EditForm
          key={formRound}
          schedule={data}
          onChanged={(change) => {
            setReport(change);
            setFormRound((round) => round + 1);
          }}
          onReload={() => setFormRound((round) => round + 1)}
        />
      </Paper>
      {report && <ScheduleReport change={report} />}
    </Stack>
  );
}

/** Pause (no new sessions; those made stay) or resume, at the version on screen. */
function PauseButton({ schedule }: { schedule: Schedule }) {
  const queryClient = useQueryClient();
  const pausing = schedule.status === 'ACTIVE';
  const change = useMutation({
    mutationFn: () => dataOf(api.PATCH('/v1/schedules/{id}', { params: { path: { id: schedule.id } }, body: { status: pausing ? 'PAUSED' : 'ACTIVE', version: schedule.version } })),
    onSuccess: () => {
      notifications.show({ color: 'teal', message: pausing ? messages.schedules.paused : messages.schedules.resumed });
      void queryClient.invalidateQueries({ queryKey: ['schedules'] });
    },
    onError: (error) => notifications.show({ color: 'red', message: describeFailure(error) }),
  });
  if (schedule.status === 'ENDED') return null;
  return (
    <Button variant="default" onClick={() => change.mutate()} loading={change.isPending}>
      {pausing ? messages.schedules.pause : messages.schedules.resume}
    </Button>
  );
}

function EditForm({ schedule: current, onChanged, onReload }: { schedule: Schedule; onChanged: (change: ScheduleChange) => void; onReload: () => void }) {
  const queryClient = useQueryClient();
  const [schedule] = useState(current);
  const certified = useQuery(queries.users({ role: 'IC' }));
  const provisional = useQuery(queries.users({ role: 'IP' }));
  const instructors = [...(certified.data?.items ?? []), ...(provisional.data?.items ?? [])];
  const [scope, setScope] = useState<Scope>('all');
  const [occurrence, setOccurrence] = useState('');
  const [startTime, setStartTime] = useState(schedule.start_time.slice(0, 5));
  const [duration, setDuration] = useState<number | string>(schedule.duration_minutes);
  const [capacity, setCapacity] = useState<number | string>(schedule.max_capacity);
  const [instructor, setInstructor] = useState(schedule.instructor_id);
  const save = useMutation({
    mutationFn: () =>
      dataOf(
        api.PATCH('/v1/schedules/{id}', {
          params: { path: { id: schedule.id } },
          body: {
            version: schedule.version,
            scope,
            // An empty day goes as missing: the API's 400 names occurrence_date, and the message sits beside it.
            ...(scope !== 'all' && occurrence ? { occurrence_date: occurrence } : {}),
            ...(startTime !== schedule.start_time.slice(0, 5) ? { start_time: startTime } : {}),
            ...(Number(duration) !== schedule.duration_minutes ? { duration_minutes: Number(duration) } : {}),
            ...(Number(capacity) !== schedule.max_capacity ? { max_capacity: Number(capacity) } : {}),
            ...(instructor !== schedule.instructor_id ? { instructor_id: instructor } : {}),
          },
        }),
      ),
    onSuccess: (change) => {
      onChanged(change);
      void queryClient.invalidateQueries({ queryKey: ['schedules'] });
      void queryClient.invalidateQueries({ queryKey: ['sessions'] });
    },
  });
  const error = (field: string) => fieldError(save.error, field);
  const fieldFailure = save.error instanceof ApiFailure && save.error.field !== null && ['occurrence_date', 'start_time', 'duration_minutes', 'max_capacity', 'instructor_id'].includes(save.error.field);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Title order={3} size="h4">
          {messages.schedules.edit}
        </Title>
        <Text size="sm" c="dimmed">
          {messages.schedules.editExplain}
        </Text>
        {save.isError && !fieldFailure && (
          <FailureNotice
            error={save.error}
            onRetry={() => void queryClient.refetchQueries({ queryKey: ['schedules', schedule.id] }).then(onReload)}
          />
        )}
        <div>
          <Text size="sm" fw={500} mb={4} id="schedule-scope-label">
            {messages.schedules.scope}
          </Text>
          <SegmentedControl fullWidth aria-labelledby="schedule-scope-label" value={scope} onChange={(value) => setScope(value as Scope)} data={scopes.map((value) => ({ value, label: messages.schedules.scopes[value] ?? value }))} />
        </div>
        <div className="form-grid">
          {scope !== 'all' && <TextInput type="date" label={messages.schedules.occurrence} required value={occurrence} onChange={(event) => setOccurrence(event.currentTarget.value)} error={error('occurrence_date') && messages.schedules.chooseOccurrence} />}
          <TextInput type="time" label={messages.schedules.startTime} value={startTime} onChange={(event) => setStartTime(event.currentTarget.value)} error={error('start_time')} />
          <NumberInput label={messages.schedules.duration} min={15} max={1440} value={duration} onChange={setDuration} error={error('duration_minutes')} />
          <NumberInput label={messages.schedules.capacity} min={1} value={capacity} onChange={setCapacity} error={error('max_capacity')} />
          <NativeSelect
            label={messages.schedules.instructor}
            value={instructor}
            onChange={(event) => setInstructor(event.currentTarget.value)}
            error={error('instructor_id')}
            data={instructors.some((user) => user.id === instructor) ? instructors.map((user) => ({ value: user.id, label: personName(user) ?? user.id })) : [{ value: instructor, label: '…' }, ...instructors.map((user) => ({ value: user.id, label: personName(user) ?? user.id }))]}
          />
        </div>
        <Group justify="flex-end">
          <Button type="submit" loading={save.isPending}>
            {messages.schedules.saveEdit}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
