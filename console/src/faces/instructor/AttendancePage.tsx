import { Alert, Button, Group, Modal, NumberInput, Paper, SegmentedControl, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useParams } from 'react-router';
import { ApiFailure, dataOf } from '../../api/failure.ts';
import { queries, type Session, type SessionEnrollment as Enrollment } from '../../api/queries.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { formatSessionWhen } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { StudentLabel, useStudentNames } from '../../ui/PersonName.tsx';
import { describeFailure, Empty, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';

type Attendance = Enrollment['attendance_status'];
interface Draft {
  attendance?: Attendance;
  score?: number | null;
}

const attendanceChoices = [
  { value: 'ATTENDED', label: messages.attendance.present },
  { value: 'PARTIAL', label: messages.attendance.partial },
  { value: 'ABSENT', label: messages.attendance.absent },
];

function scoreProblem(score: number | null | undefined): string | undefined {
  if (score === null || score === undefined) return undefined;
  return score < 0 || score > 100 ? messages.attendance.scoreLimits : undefined;
}

/**
 * One row per enrolled trainee with large attendance controls and a score field; changes stay a visible
 * draft until saved (one request for the whole session, at the versions read: a 409 offers reload).
 */
export function AttendancePage() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const session = useQuery(queries.session(id));
  const enrollments = useQuery(queries.sessionEnrollments(id));
  const location = useQuery({ ...queries.location(session.data?.location_id ?? ''), enabled: session.isSuccess });
  const [drafts, setDrafts] = useState<Map<string, Draft>>(new Map());
  const [confirmOpen, confirm] = useDisclosure(false);

  const rows = useMemo(() => (enrollments.data?.items ?? []).filter((row) => row.status === 'ENROLLED'), [enrollments.data]);
  // The names of the whole list from one hook, not a query per row (decision 0062).
  const names = useStudentNames(rows);
  const attendanceOf = (row: Enrollment) => drafts.get(row.id)?.attendance ?? row.attendance_status;
  const scoreOf = (row: Enrollment) => {
    const draft = drafts.get(row.id);
    return draft && 'score' in draft ? draft.score : row.assessment_score;
  };
  const edit = (rowId: string, change: Draft) => setDrafts((previous) => new Map(previous).set(rowId, { ...previous.get(rowId), ...change }));
  const invalid = rows.some((row) => scoreProblem(scoreOf(row)) !== undefined);
  const reload = () => {
    setDrafts(new Map());
    void queryClient.invalidateQueries({ queryKey: ['enrollments', 'session', id] });
    void queryClient.invalidateQueries({ queryKey: ['sessions', id] });
  };

  const resultsBody = (complete: boolean) =>
    rows
      .filter((row) => complete || drafts.has(row.id))
      .map((row) => {
        const attendance = attendanceOf(row);
        const attended = attendance === 'ATTENDED' || attendance === 'PARTIAL';
        return {
          enrollment_id: row.id,
          version: row.version,
          attendance_status: attendance,
          assessment_score: scoreOf(row) ?? null,
          ...(complete ? { completion_status: attended ? ('COMPLETED' as const) : ('FAILED' as const) } : {}),
        };
      });

  const save = useMutation({
    mutationFn: () => dataOf(api.PUT('/v1/sessions/{id}/results', { params: { path: { id } }, body: { results: resultsBody(false) } })),
    onSuccess: () => {
      setDrafts(new Map());
      void queryClient.invalidateQueries({ queryKey: ['enrollments', 'session', id] });
    },
  });

  const complete = useMutation({
    mutationFn: async (current: Session) => {
      if (rows.length > 0) await dataOf(api.PUT('/v1/sessions/{id}/results', { params: { path: { id } }, body: { results: resultsBody(true) } }));
      let version = current.version;
      if (current.status === 'SCHEDULED') version = (await dataOf(api.POST('/v1/sessions/{id}/start', { params: { path: { id } }, body: { version } }))).version;
      return dataOf(api.POST('/v1/sessions/{id}/complete', { params: { path: { id } }, body: { version } }));
    },
    onSuccess: () => {
      confirm.close();
      notifications.show({ color: 'teal', message: messages.session.statuses['COMPLETED'] });
      reload();
    },
  });

  if (session.isPending || enrollments.isPending) return <Loading rows={6} />;
  if (session.isError) return <FailureNotice error={session.error} onRetry={() => void session.refetch()} />;
  if (enrollments.isError) return <FailureNotice error={enrollments.error} onRetry={() => void enrollments.refetch()} />;
  const editable = session.data.status === 'SCHEDULED' || session.data.status === 'IN_PROGRESS';
  const attendedCount = rows.filter((row) => ['ATTENDED', 'PARTIAL'].includes(attendanceOf(row))).length;
  const failure = save.error ?? complete.error;

  return (
    <Stack gap="md">
      <PageHeader title={`${messages.attendance.title}: ${session.data.title}`} />
      <Group gap="sm" wrap="wrap">
        <StatusBadge status={session.data.status} label={messages.session.statuses[session.data.status]} />
        <Text>{formatSessionWhen(session.data, location.data?.timezone)}</Text>
      </Group>
      {failure && <FailureNotice error={failure} onRetry={failure instanceof ApiFailure && failure.isVersionConflict ? () => { save.reset(); complete.reset(); reload(); } : undefined} />}
      {rows.length === 0 ? (
        <Empty>{messages.attendance.nobody}</Empty>
      ) : (
        <Paper withBorder px="md">
          {rows.map((row) => (
            <div key={row.id} className="attendance-row" data-testid="attendance-row">
                <Text fw={600} id={`person-${row.id}`}>
                  <StudentLabel row={row} name={names(row)} />
                </Text>
                <SegmentedControl
                  size="md"
                  color="blue"
                  disabled={!editable}
                  aria-labelledby={`person-${row.id}`}
                  value={attendanceOf(row) === 'REGISTERED' ? '' : attendanceOf(row)}
                  onChange={(value) => edit(row.id, { attendance: value as Attendance })}
                  data={attendanceChoices}
                />
                <NumberInput
                  size="md"
                  label={messages.attendance.score}
                  min={0}
                  max={100}
                  decimalScale={2}
                  clampBehavior="none"
                  disabled={!editable}
                  value={scoreOf(row) ?? ''}
                  onChange={(value) => edit(row.id, { score: value === '' ? null : Number(value) })}
                  error={scoreProblem(scoreOf(row))}
                />
            </div>
          ))}
        </Paper>
      )}
      {editable && rows.length > 0 && (
        <Group justify="space-between" wrap="wrap" gap="sm">
          <Button variant="default" size="md" onClick={() => rows.forEach((row) => attendanceOf(row) === 'REGISTERED' && edit(row.id, { attendance: 'ATTENDED' }))}>
            {messages.attendance.markAllPresent}
          </Button>
          <Group gap="sm" wrap="wrap">
            <Text size="sm" role="status" data-testid="save-state" c={drafts.size > 0 ? 'dark.8' : 'teal.9'} fw={drafts.size > 0 ? 700 : 400}>
              {drafts.size > 0 ? messages.attendance.unsaved(drafts.size) : messages.attendance.allSaved}
            </Text>
            <Button size="md" variant="light" disabled={drafts.size === 0 || invalid} loading={save.isPending} onClick={() => save.mutate()}>
              {messages.attendance.save}
            </Button>
            <Button size="md" disabled={invalid} onClick={confirm.open}>
              {messages.session.complete}
            </Button>
          </Group>
        </Group>
      )}
      <Modal opened={confirmOpen} onClose={confirm.close} title={messages.session.complete}>
        <Stack>
          <Text>{messages.attendance.completeSummary(attendedCount, rows.length)}</Text>
          {complete.isError && <Alert color="red">{describeFailure(complete.error)}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={confirm.close}>
              {messages.common.cancel}
            </Button>
            <Button onClick={() => complete.mutate(session.data)} loading={complete.isPending}>
              {messages.session.complete}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
