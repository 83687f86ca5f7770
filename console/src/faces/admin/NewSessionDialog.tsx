import { Alert, Button, Checkbox, Group, Modal, NativeSelect, NumberInput, Stack, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { ApiFailure, dataOf, fieldError } from '../../api/failure.ts';
import { personName, queries } from '../../api/queries.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { isoDay } from '../../ui/format.ts';
import { describeFailure } from '../../ui/states.tsx';

/** Create a session: the times are the location's wall clock, and the zone is shown beside them. */
export function NewSessionDialog() {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button onClick={open}>{messages.session.new}</Button>
      <Modal opened={opened} onClose={close} title={messages.session.new} size="lg">
        {opened && <NewSessionForm onDone={close} />}
      </Modal>
    </>
  );
}

function NewSessionForm({ onDone }: { onDone: () => void }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const courses = useQuery(queries.courses());
  const locations = useQuery(queries.locations());
  const certified = useQuery(queries.users({ role: 'IC' }));
  const provisional = useQuery(queries.users({ role: 'IP' }));
  const [form, setForm] = useState({
    course_id: '',
    location_id: '',
    instructor_id: '',
    title: '',
    session_date: isoDay(7),
    start_time: '09:00',
    end_time: '17:00',
    max_capacity: 12 as number | string,
    self_enrollment_allowed: true,
  });
  const set = (name: keyof typeof form) => (value: unknown) => setForm((previous) => ({ ...previous, [name]: value }));
  const zone = locations.data?.items.find((location) => location.id === form.location_id)?.timezone;
  const instructors = [...(certified.data?.items ?? []), ...(provisional.data?.items ?? [])];

  const create = useMutation({
    mutationFn: () =>
      dataOf(
        api.POST('/v1/sessions', {
          body: {
            course_id: form.course_id,
            location_id: form.location_id,
            instructor_id: form.instructor_id,
            ...(form.title ? { title: form.title } : {}),
            session_date: form.session_date,
            start_time: form.start_time,
            end_time: form.end_time,
            max_capacity: Number(form.max_capacity),
            self_enrollment_allowed: form.self_enrollment_allowed,
          },
        }),
      ),
    onSuccess: (session) => {
      void queryClient.invalidateQueries({ queryKey: ['sessions'] });
      notifications.show({ message: messages.session.created, color: 'teal' });
      onDone();
      void navigate(`/sessions/${session.id}`);
    },
  });
  const error = (field: string) => fieldError(create.error, field);
  const placeholder = (label: string) => [{ value: '', label: `— ${label} —` }];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const unplaced = create.error instanceof ApiFailure && !create.error.field;

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {unplaced && (
          <Alert color="red" role="alert">
            {describeFailure(create.error)}
          </Alert>
        )}
        <NativeSelect
          label={messages.session.course}
          required
          value={form.course_id}
          onChange={(event) => set('course_id')(event.currentTarget.value)}
          error={error('course_id')}
          data={[...placeholder(messages.session.course), ...(courses.data?.items ?? []).filter((course) => course.status !== 'ARCHIVED').map((course) => ({ value: course.id, label: `${course.code} · ${course.title}` }))]}
        />
        <TextInput label={messages.session.title} value={form.title} onChange={(event) => set('title')(event.currentTarget.value)} error={error('title')} />
        <div className="form-grid">
          <NativeSelect
            label={messages.session.location}
            required
            value={form.location_id}
            onChange={(event) => set('location_id')(event.currentTarget.value)}
            error={error('location_id')}
            data={[...placeholder(messages.session.location), ...(locations.data?.items ?? []).map((location) => ({ value: location.id, label: `${location.name} (${location.timezone})` }))]}
          />
          <NativeSelect
            label={messages.session.instructor}
            required
            value={form.instructor_id}
            onChange={(event) => set('instructor_id')(event.currentTarget.value)}
            error={error('instructor_id')}
            data={[...placeholder(messages.session.instructor), ...instructors.map((user) => ({ value: user.id, label: personName(user) ?? user.id }))]}
          />
          <TextInput type="date" label={messages.session.date} required value={form.session_date} onChange={(event) => set('session_date')(event.currentTarget.value)} error={error('session_date')} />
          <NumberInput label={messages.session.capacity} required min={1} max={100000} value={form.max_capacity} onChange={set('max_capacity')} error={error('max_capacity')} />
          <TextInput
            type="time"
            label={messages.session.startTime}
            description={zone}
            required
            value={form.start_time}
            onChange={(event) => set('start_time')(event.currentTarget.value)}
            error={error('start_time')}
          />
          <TextInput type="time" label={messages.session.endTime} description={zone} required value={form.end_time} onChange={(event) => set('end_time')(event.currentTarget.value)} error={error('end_time')} />
        </div>
        <Checkbox label={messages.session.selfEnrollment} checked={form.self_enrollment_allowed} onChange={(event) => set('self_enrollment_allowed')(event.currentTarget.checked)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {messages.common.cancel}
          </Button>
          <Button type="submit" loading={create.isPending}>
            {messages.session.create}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
