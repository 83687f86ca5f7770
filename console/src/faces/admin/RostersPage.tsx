import { Anchor, Button, Group, NativeSelect, Paper, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import type { operations } from '../../../../client/index.ts';
import { dataOf } from '../../api/failure.ts';
import { queries } from '../../api/queries.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { formatSessionDay } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { Pager, useSearchFilters } from '../../ui/Pager.tsx';
import { Empty, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';
import { ActionsHeader } from '../../ui/ListRow.tsx';
import { AddMemberButton, EditMemberDialog, memberName, RemoveMemberDialog, type RosterMember } from './RosterMemberEdits.tsx';

type RosterQuery = NonNullable<operations['listRosters']['parameters']['query']>;
const types = ['CERTIFICATE', 'TRAINING'] as const;
const statuses = ['ACTIVE', 'ARCHIVED'] as const;
const oneOf = <T extends string>(values: readonly T[], value: string): T | undefined => values.find((item) => item === value);

/** The rosters, filtered by type and status (in the URL); each opens its members. */
export function RostersPage() {
  const [search, set] = useSearchFilters();
  const type = oneOf(types, search.get('type') ?? '');
  const status = oneOf(statuses, search.get('status') ?? '');
  const cursor = search.get('cursor') ?? '';
  const filter: RosterQuery = { limit: 50, sort: 'created_at', direction: 'desc', ...(type ? { roster_type: type } : {}), ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) };
  const list = useQuery({ queryKey: ['rosters', 'list', filter], queryFn: () => dataOf(api.GET('/v1/rosters', { params: { query: filter } })) });
  const courses = useQuery(queries.courses());
  const courseOf = new Map((courses.data?.items ?? []).map((course) => [course.id, course]));

  return (
    <>
      <PageHeader title={messages.rosters.title} />
      <Group mb="md" gap="sm" wrap="wrap" align="flex-end">
        <NativeSelect
          label={messages.rosters.type}
          value={type ?? ''}
          onChange={(event) => set({ type: event.currentTarget.value })}
          data={[{ value: '', label: messages.rosters.anyType }, ...types.map((value) => ({ value, label: messages.rosters.types[value] ?? value }))]}
        />
        <NativeSelect
          label={messages.rosters.status}
          value={status ?? ''}
          onChange={(event) => set({ status: event.currentTarget.value })}
          data={[{ value: '', label: messages.rosters.anyStatus }, ...statuses.map((value) => ({ value, label: messages.rosters.statuses[value] ?? value }))]}
        />
      </Group>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <FailureNotice error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty>{messages.rosters.empty}</Empty>
      ) : (
        <>
          <div className="table-scroll">
            <Table striped verticalSpacing="xs" miw={640} className="stack-on-phone" data-testid="rosters-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{messages.rosters.name}</Table.Th>
                  <Table.Th>{messages.rosters.course}</Table.Th>
                  <Table.Th>{messages.rosters.type}</Table.Th>
                  <Table.Th ta="right">{messages.rosters.members}</Table.Th>
                  <Table.Th ta="right">{messages.rosters.certificates}</Table.Th>
                  <Table.Th>{messages.rosters.status}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.map((roster) => (
                  <Table.Tr key={roster.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/rosters/${roster.id}`}>
                        {roster.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td className="nowrap" data-label={messages.rosters.course}>{courseOf.get(roster.course_id)?.code ?? '…'}</Table.Td>
                    <Table.Td data-label={messages.rosters.type}>{messages.rosters.types[roster.roster_type]}</Table.Td>
                    <Table.Td ta="right" data-label={messages.rosters.members}>{roster.member_count}</Table.Td>
                    <Table.Td ta="right" data-label={messages.rosters.certificates}>{roster.certificate_count}</Table.Td>
                    <Table.Td>
                      <StatusBadge status={roster.status} label={messages.rosters.statuses[roster.status]} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </div>
          <Pager nextCursor={list.data.next_cursor} />
        </>
      )}
    </>
  );
}

/** One roster: what it is for, and its members with attendance, scores and completion (names come with the members). */
export function RosterPage() {
  const { id = '' } = useParams();
  const [search] = useSearchFilters();
  const cursor = search.get('cursor') ?? '';
  const roster = useQuery({ queryKey: ['rosters', id], queryFn: () => dataOf(api.GET('/v1/rosters/{id}', { params: { path: { id } } })) });
  const members = useQuery({
    queryKey: ['rosters', id, 'members', cursor],
    queryFn: () => dataOf(api.GET('/v1/rosters/{id}/members', { params: { path: { id }, query: { limit: 200, ...(cursor ? { cursor } : {}) } } })),
  });
  const course = useQuery({ ...queries.course(roster.data?.course_id ?? ''), enabled: roster.isSuccess });
  const location = useQuery({ ...queries.location(roster.data?.location_id ?? ''), enabled: roster.isSuccess });

  // One dialog each for the page, not one a row.
  const [editing, setEditing] = useState<RosterMember | null>(null);
  const [removing, setRemoving] = useState<RosterMember | null>(null);

  if (roster.isPending) return <Loading rows={5} />;
  if (roster.isError) return <FailureNotice error={roster.error} onRetry={() => void roster.refetch()} />;
  const data = roster.data;
  const editable = data.status === 'ACTIVE';
  return (
    <Stack gap="md">
      <PageHeader
        title={data.name}
        actions={
          <Group gap="sm">
            <Anchor component={Link} to="/rosters">
              {messages.rosters.allRosters}
            </Anchor>
            {data.status === 'ACTIVE' && <AddMemberButton rosterId={data.id} />}
          </Group>
        }
      />
      <Paper withBorder p="md">
        <Stack gap={4}>
          <Group gap="sm">
            <StatusBadge status={data.status} label={messages.rosters.statuses[data.status]} />
            <Text fw={600}>{course.data ? `${course.data.code} · ${course.data.title}` : '…'}</Text>
          </Group>
          <Text size="sm">
            {messages.rosters.type}: {messages.rosters.types[data.roster_type]} · {messages.session.location}: {location.data?.name ?? '…'}
            {data.instructor_name ? ` · ${messages.rosters.instructor}: ${data.instructor_name}` : ''}
            {data.issue_date ? ` · ${messages.rosters.issueDate}: ${formatSessionDay(data.issue_date)}` : ''}
          </Text>
          <Text size="sm" data-testid="roster-counts">
            {messages.rosters.membersCount(data.member_count, data.certificate_count)}
          </Text>
          {data.session_id && (
            <Anchor component={Link} to={`/sessions/${data.session_id}`} size="sm">
              {messages.rosters.openSession}
            </Anchor>
          )}
        </Stack>
      </Paper>
      {members.isPending ? (
        <Loading />
      ) : members.isError ? (
        <FailureNotice error={members.error} onRetry={() => void members.refetch()} />
      ) : members.data.items.length === 0 ? (
        <Empty>{messages.rosters.noMembers}</Empty>
      ) : (
        <>
          <div className="table-scroll">
            <Table striped verticalSpacing="xs" miw={640} className="stack-on-phone" data-testid="roster-members">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{messages.rosters.name}</Table.Th>
                  <Table.Th>{messages.rosters.email}</Table.Th>
                  <Table.Th>{messages.rosters.attendance}</Table.Th>
                  <Table.Th>{messages.rosters.scores}</Table.Th>
                  <Table.Th>{messages.rosters.completion}</Table.Th>
                  {editable && (
                    <ActionsHeader />
                  )}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {members.data.items.map((member) => (
                  <Table.Tr key={member.id}>
                    <Table.Td fw={600}>{memberName(member)}</Table.Td>
                    <Table.Td className="cell-clip" data-label={messages.rosters.email}>{member.email ?? '—'}</Table.Td>
                    <Table.Td data-label={messages.rosters.attendance}>{messages.rosters.memberAttendance[member.attendance_status]}</Table.Td>
                    <Table.Td className="nowrap" data-label={messages.rosters.scores}>
                      {member.practical_score ?? '—'} / {member.written_score ?? '—'}
                    </Table.Td>
                    <Table.Td data-label={messages.rosters.completion}>{messages.rosters.memberCompletion[member.completion_status]}</Table.Td>
                    {editable && (
                      <Table.Td ta="right">
                        <Group gap={4} justify="flex-end" wrap="nowrap">
                          <Button variant="subtle" size="compact-sm" onClick={() => setEditing(member)} aria-label={messages.rosters.editNamed(memberName(member))}>
                            {messages.rosters.edit}
                          </Button>
                          <Button variant="subtle" color="red" c="red.9" size="compact-sm" onClick={() => setRemoving(member)} aria-label={messages.rosters.removeNamed(memberName(member))}>
                            {messages.rosters.remove}
                          </Button>
                        </Group>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </div>
          <Pager nextCursor={members.data.next_cursor} />
        </>
      )}
      <EditMemberDialog member={editing} onClose={() => setEditing(null)} />
      <RemoveMemberDialog member={removing} onClose={() => setRemoving(null)} />
    </Stack>
  );
}
