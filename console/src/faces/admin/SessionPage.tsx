import { Button, Group, Modal, NumberInput, Paper, Stack, Table, Tabs, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, memo, useMemo, useState } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { dataOf, fieldError } from '../../api/failure.ts';
import { queries, type Session, type SessionEnrollment as Enrollment } from '../../api/queries.ts';
import { api } from '../../api/session.ts';
import { auditReaders } from '../../app/roles.ts';
import { messages } from '../../messages.ts';
import { CapacityBar } from '../../ui/CapacityBar.tsx';
import { compareText, formatInstant, formatSessionWhen } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { ActionsHeader, listCell, listRow, RowAction } from '../../ui/ListRow.tsx';
import { PersonName, StudentLabel, useStudentNames } from '../../ui/PersonName.tsx';
import { describeFailure, Empty, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';
import { AuditTable } from './AuditPage.tsx';
import { AddPersonButton } from './AddPerson.tsx';
import { EnrollmentImport } from './EnrollmentImport.tsx';

/**
 * One session at a glance: course, when (in its location's zone, named), where, who teaches, status, and
 * the capacity bar; tabs for the enrolled, the waitlist with positions, and results. Everything on it
 * follows the stream: a trainee's enrollment elsewhere moves the count here.
 */
export function SessionPage() {
  const { id = '' } = useParams();
  const session = useQuery(queries.session(id));
  const enrollments = useQuery(queries.sessionEnrollments(id));
  const location = useQuery({ ...queries.location(session.data?.location_id ?? ''), enabled: session.isSuccess });
  const course = useQuery({ ...queries.course(session.data?.course_id ?? ''), enabled: session.isSuccess });
  const me = useQuery(queries.me());
  const showsActivity = me.data !== undefined && auditReaders.includes(me.data.role);
  const [search, setSearch] = useSearchParams();
  const tab = search.get('tab') ?? 'enrolled';
  // One dialog for the page, not one per row: a table of 200 places stays a table of 200 buttons.
  const [cancelling, setCancelling] = useState<Enrollment | null>(null);

  // Split once per answer, not on every render of the page (a tab change, a dialog opening).
  const { enrolled, waitlist } = useMemo(() => {
    const rows = enrollments.data?.items ?? [];
    return {
      enrolled: rows.filter((row) => row.status === 'ENROLLED'),
      waitlist: rows.filter((row) => row.status === 'WAITLISTED').sort((a, b) => (a.waitlist_position ?? 0) - (b.waitlist_position ?? 0)),
    };
  }, [enrollments.data]);

  if (session.isPending) return <Loading rows={6} />;
  if (session.isError) return <FailureNotice error={session.error} onRetry={() => void session.refetch()} />;
  const data = session.data;

  return (
    <Stack gap="md">
      <PageHeader title={data.title} actions={<SessionActions session={data} />} />
      <Paper withBorder p="md">
        <Stack gap="xs">
          <Group gap="sm" wrap="wrap">
            <StatusBadge status={data.status} label={messages.session.statuses[data.status]} />
            <Text fw={600}>{course.data ? `${course.data.code} · ${course.data.title}` : '…'}</Text>
          </Group>
          <Text data-testid="session-when">{formatSessionWhen(data, location.data?.timezone)}</Text>
          <Text size="sm">
            {messages.session.location}: {location.data ? [location.data.name, location.data.city].filter(Boolean).join(', ') : '…'} · {messages.session.instructor}: <PersonName id={data.instructor_id} />
          </Text>
          {data.cancelled_reason && (
            <Text size="sm" c="red.9">
              {data.cancelled_reason}
            </Text>
          )}
          <CapacityBar enrolled={data.current_enrollment} capacity={data.max_capacity} waitlisted={waitlist.length} />
        </Stack>
      </Paper>
      <Tabs keepMounted={false} value={tab} onChange={(value) => setSearch(value && value !== 'enrolled' ? { tab: value } : {}, { replace: true })}>
        <Tabs.List>
          <Tabs.Tab value="enrolled">
            {messages.session.tabs.enrolled} ({enrolled.length})
          </Tabs.Tab>
          <Tabs.Tab value="waitlist">
            {messages.session.tabs.waitlist} ({waitlist.length})
          </Tabs.Tab>
          <Tabs.Tab value="results">{messages.session.tabs.results}</Tabs.Tab>
          {showsActivity && <Tabs.Tab value="activity">{messages.session.tabs.activity}</Tabs.Tab>}
        </Tabs.List>
        <Tabs.Panel value="enrolled" pt="sm">
          {enrollments.isPending ? <Loading /> : enrollments.isError ? <FailureNotice error={enrollments.error} /> : <EnrolledTable rows={enrolled} timeZone={location.data?.timezone} onCancel={setCancelling} />}
        </Tabs.Panel>
        <Tabs.Panel value="waitlist" pt="sm">
          {waitlist.length === 0 ? <Empty>{messages.session.noWaitlist}</Empty> : <WaitlistTable rows={waitlist} onCancel={setCancelling} />}
        </Tabs.Panel>
        <Tabs.Panel value="results" pt="sm">
          <ResultsTable rows={enrolled} />
        </Tabs.Panel>
        {showsActivity && (
          <Tabs.Panel value="activity" pt="sm">
            <SessionActivity sessionId={data.id} />
          </Tabs.Panel>
        )}
      </Tabs>
      <CancelPlaceDialog enrollment={cancelling} onClose={() => setCancelling(null)} />
    </Stack>
  );
}

/*
 * The three lists below can hold hundreds of rows, so each row is plain <tr>/<td> elements with the
 * classes of Mantine's Table (same look) and a plain button, memoised by its enrollment: a Mantine
 * Table.Td or Button computes its theme styles on every render, which more than doubled the CPU time of
 * rendering 200 rows (decision 0062). The header cells and the table itself stay Mantine's.
 */

/** From how many people a list gets its find field: a few fit on one screen. */
const findFromRows = 10;

function EnrolledTable({ rows, timeZone, onCancel }: { rows: Enrollment[]; timeZone: string | undefined; onCancel: (row: Enrollment) => void }) {
  const names = useStudentNames(rows);
  const [find, setFind] = useState('');
  const [order, setOrder] = useState<'enrolled' | 'name'>('enrolled');
  const shown = useMemo(() => {
    const needle = find.trim().toLocaleLowerCase();
    const found = needle ? rows.filter((row) => names(row).toLocaleLowerCase().includes(needle)) : rows;
    return order === 'name' ? [...found].sort((a, b) => compareText(names(a), names(b))) : found;
  }, [rows, names, find, order]);
  if (rows.length === 0) return <Empty>{messages.session.noEnrolled}</Empty>;
  return (
    <Stack gap="xs">
      {/* Kept while it holds text, even if the list shrinks meanwhile: a filter is never applied unseen. */}
      {(rows.length > findFromRows || find !== '') && <TextInput label={messages.session.findInList} value={find} onChange={(event) => setFind(event.currentTarget.value)} maw={360} />}
      {shown.length === 0 ? (
        <Empty>{messages.session.nobodyInList}</Empty>
      ) : (
        <div className="table-scroll">
          <Table striped verticalSpacing="xs" className="stack-on-phone" data-testid="enrolled-table">
            <Table.Thead>
              <Table.Tr>
                <SortHeader label={messages.session.person} sorted={order === 'name'} onSort={() => setOrder('name')} />
                <SortHeader label={messages.session.enrolledOn} sorted={order === 'enrolled'} onSort={() => setOrder('enrolled')} />
                <Table.Th>{messages.session.attendance}</Table.Th>
                <ActionsHeader />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((row) => (
                <EnrolledRow key={row.id} row={row} name={names(row)} timeZone={timeZone} onCancel={onCancel} />
              ))}
            </Table.Tbody>
          </Table>
        </div>
      )}
    </Stack>
  );
}

/** A column header that orders the list by its column (ascending), and says so to a screen reader. */
function SortHeader({ label, sorted, onSort }: { label: string; sorted: boolean; onSort: () => void }) {
  return (
    <Table.Th aria-sort={sorted ? 'ascending' : 'none'}>
      <button type="button" className="sort-header mantine-focus-auto" onClick={onSort}>
        {label}
        {sorted && <span aria-hidden="true"> ↑</span>}
      </button>
    </Table.Th>
  );
}

const EnrolledRow = memo(function EnrolledRow({ row, name, timeZone, onCancel }: { row: Enrollment; name: string; timeZone: string | undefined; onCancel: (row: Enrollment) => void }) {
  return (
    <tr {...listRow}>
      <td className={listCell}>
        <StudentLabel row={row} name={name} />
      </td>
      <td className={listCell} data-label={messages.session.enrolledOn}>
        {formatInstant(row.enrollment_date, timeZone)}
      </td>
      <td className={listCell} data-label={messages.session.attendance}>
        {messages.attendance.statuses[row.attendance_status]}
      </td>
      <td className={`${listCell} list-actions`}>
        <RowAction onClick={() => onCancel(row)}>{messages.session.cancelPlace}</RowAction>
      </td>
    </tr>
  );
});

function WaitlistTable({ rows, onCancel }: { rows: Enrollment[]; onCancel: (row: Enrollment) => void }) {
  const names = useStudentNames(rows);
  return (
    <div className="table-scroll">
      <Table striped verticalSpacing="xs" className="stack-on-phone" data-testid="waitlist-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={90}>{messages.session.position}</Table.Th>
            <Table.Th>{messages.session.person}</Table.Th>
            <ActionsHeader />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <WaitingRow key={row.id} row={row} name={names(row)} onCancel={onCancel} />
          ))}
        </Table.Tbody>
      </Table>
    </div>
  );
}

const WaitingRow = memo(function WaitingRow({ row, name, onCancel }: { row: Enrollment; name: string; onCancel: (row: Enrollment) => void }) {
  return (
    <tr {...listRow}>
      <td className={listCell} data-label={messages.session.position}>
        #{row.waitlist_position}
      </td>
      <td className={listCell}>
        <StudentLabel row={row} name={name} />
      </td>
      <td className={`${listCell} list-actions`}>
        <RowAction onClick={() => onCancel(row)}>{messages.session.cancelPlace}</RowAction>
      </td>
    </tr>
  );
});

function ResultsTable({ rows }: { rows: Enrollment[] }) {
  const names = useStudentNames(rows);
  if (rows.length === 0) return <Empty>{messages.session.noEnrolled}</Empty>;
  return (
    <div className="table-scroll">
      <Table striped verticalSpacing="xs" className="stack-on-phone">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{messages.session.person}</Table.Th>
            <Table.Th>{messages.session.attendance}</Table.Th>
            <Table.Th>{messages.session.score}</Table.Th>
            <Table.Th>{messages.session.status}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <ResultRow key={row.id} row={row} name={names(row)} />
          ))}
        </Table.Tbody>
      </Table>
    </div>
  );
}

const ResultRow = memo(function ResultRow({ row, name }: { row: Enrollment; name: string }) {
  return (
    <tr {...listRow}>
      <td className={listCell}>
        <StudentLabel row={row} name={name} />
      </td>
      <td className={listCell} data-label={messages.session.attendance}>
        {messages.attendance.statuses[row.attendance_status]}
      </td>
      <td className={listCell} data-label={messages.session.score}>
        {row.assessment_score ?? '—'}
      </td>
      <td className={listCell} data-label={messages.session.status}>
        {messages.attendance.completion[row.completion_status]}
      </td>
    </tr>
  );
});

/** What happened to the session itself (created, changed, cancelled), field by field, newest first. */
function SessionActivity({ sessionId }: { sessionId: string }) {
  const activity = useQuery(queries.sessionActivity(sessionId));
  if (activity.isPending) return <Loading />;
  if (activity.isError) return <FailureNotice error={activity.error} onRetry={() => void activity.refetch()} />;
  if (activity.data.items.length === 0) return <Empty>{messages.session.noActivity}</Empty>;
  return <AuditTable entries={activity.data.items} testId="session-activity" />;
}

/** Change capacity, start, complete, cancel with a reason; each at the version on screen (a 409 offers reload). */
function SessionActions({ session }: { session: Session }) {
  const queryClient = useQueryClient();
  const [capacityOpen, capacity] = useDisclosure(false);
  const [cancelOpen, cancel] = useDisclosure(false);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['sessions', session.id] });
  const transition = useMutation({
    mutationFn: (action: 'start' | 'complete') =>
      dataOf(api.POST(action === 'start' ? '/v1/sessions/{id}/start' : '/v1/sessions/{id}/complete', { params: { path: { id: session.id } }, body: { version: session.version } })),
    onSuccess: refresh,
    onError: (error) => notifications.show({ color: 'red', message: describeFailure(error) }),
  });
  const open = session.status === 'SCHEDULED' || session.status === 'IN_PROGRESS';
  return (
    <Group gap="xs" wrap="wrap">
      {transition.isError && <FailureNotice error={transition.error} onRetry={() => { transition.reset(); refresh(); }} />}
      {open && <AddPersonButton sessionId={session.id} />}
      {open && <EnrollmentImport sessionId={session.id} />}
      {open && (
        <Button variant="default" size="sm" onClick={capacity.open}>
          {messages.session.changeCapacity}
        </Button>
      )}
      {session.status === 'SCHEDULED' && (
        <Button variant="default" size="sm" onClick={() => transition.mutate('start')} loading={transition.isPending}>
          {messages.session.start}
        </Button>
      )}
      {session.status === 'IN_PROGRESS' && (
        <Button size="sm" onClick={() => transition.mutate('complete')} loading={transition.isPending}>
          {messages.session.complete}
        </Button>
      )}
      {open && (
        <Button variant="outline" color="red.9" size="sm" onClick={cancel.open}>
          {messages.session.cancelSession}
        </Button>
      )}
      <Modal opened={capacityOpen} onClose={capacity.close} title={messages.session.changeCapacity}>
        {capacityOpen && <CapacityForm session={session} onDone={capacity.close} />}
      </Modal>
      <Modal opened={cancelOpen} onClose={cancel.close} title={messages.session.cancelSession}>
        {cancelOpen && <CancelForm session={session} onDone={cancel.close} />}
      </Modal>
    </Group>
  );
}

/** Take a place back (enrolled or waiting): the first on the waitlist moves up, and the positions with it. */
function CancelPlaceDialog({ enrollment, onClose }: { enrollment: Enrollment | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const cancel = useMutation({
    mutationFn: (row: Enrollment) => dataOf(api.POST('/v1/enrollments/{id}/cancel', { params: { path: { id: row.id } }, body: { version: row.version } })),
    onSuccess: (row) => {
      void queryClient.invalidateQueries({ queryKey: ['enrollments'] });
      void queryClient.invalidateQueries({ queryKey: ['sessions', row.session_id] });
      close();
    },
  });
  const close = () => {
    cancel.reset();
    onClose();
  };
  return (
    <Modal opened={enrollment !== null} onClose={close} title={messages.session.cancelPlace}>
      <Stack>
        <Text>{enrollment?.status === 'WAITLISTED' ? messages.session.cancelWaitingConfirm : messages.session.cancelPlaceConfirm}</Text>
        {cancel.isError && <FailureNotice error={cancel.error} onRetry={() => { void queryClient.invalidateQueries({ queryKey: ['enrollments'] }); close(); }} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>
            {messages.common.close}
          </Button>
          <Button color="red.9" loading={cancel.isPending} onClick={() => enrollment && cancel.mutate(enrollment)}>
            {messages.session.cancelPlace}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function CapacityForm({ session, onDone }: { session: Session; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [value, setValue] = useState<number | string>(session.max_capacity);
  // The version on screen when the dialog opened: a change by someone else meanwhile is a 409, not overwritten.
  const [version] = useState(session.version);
  const save = useMutation({
    mutationFn: () => dataOf(api.PUT('/v1/sessions/{id}/capacity', { params: { path: { id: session.id } }, body: { max_capacity: Number(value), version } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['sessions'] });
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit}>
      <Stack>
        {save.isError && !fieldError(save.error, 'max_capacity') && <FailureNotice error={save.error} onRetry={() => { save.reset(); void queryClient.invalidateQueries({ queryKey: ['sessions', session.id] }); onDone(); }} />}
        <NumberInput label={messages.session.newCapacity} min={1} value={value} onChange={setValue} error={fieldError(save.error, 'max_capacity')} data-autofocus />
        <Group justify="flex-end">
          <Button type="submit" loading={save.isPending}>
            {messages.common.save}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function CancelForm({ session, onDone }: { session: Session; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const [version] = useState(session.version);
  const save = useMutation({
    mutationFn: () => dataOf(api.POST('/v1/sessions/{id}/cancel', { params: { path: { id: session.id } }, body: { reason, version } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['sessions'] });
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit}>
      <Stack>
        <Title order={3} size="h5">
          {messages.session.cancelConfirm}
        </Title>
        {save.isError && !fieldError(save.error, 'reason') && <FailureNotice error={save.error} />}
        <Textarea label={messages.session.cancelReason} required value={reason} onChange={(event) => setReason(event.currentTarget.value)} error={fieldError(save.error, 'reason')} data-autofocus />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {messages.common.close}
          </Button>
          <Button type="submit" color="red.9" loading={save.isPending}>
            {messages.session.cancelSession}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
