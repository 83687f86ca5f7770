import { Button, Group, NativeSelect, Table } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { personName, queries, type User } from '../../api/queries.ts';
import { messages } from '../../messages.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { Empty, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';

const roles = ['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN'] as const;

export function PeoplePage() {
  const [search, setSearch] = useSearchParams();
  const role = (search.get('role') ?? '') as User['role'] | '';
  const cursor = search.get('cursor') ?? undefined;
  const list = useQuery(queries.users({ ...(role ? { role } : {}), ...(cursor ? { cursor } : {}) }));
  return (
    <>
      <PageHeader title={messages.people.title} />
      <Group mb="md">
        <NativeSelect
          label={messages.people.role}
          value={role}
          onChange={(event) => setSearch(event.currentTarget.value ? { role: event.currentTarget.value } : {})}
          data={[{ value: '', label: messages.people.anyRole }, ...roles.map((value) => ({ value, label: messages.roles[value] }))]}
        />
      </Group>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <FailureNotice error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty>{messages.people.empty}</Empty>
      ) : (
        <>
          <div className="table-scroll">
            <Table striped verticalSpacing="xs" miw={560} className="stack-on-phone">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{messages.people.name}</Table.Th>
                  <Table.Th>{messages.people.email}</Table.Th>
                  <Table.Th>{messages.people.role}</Table.Th>
                  <Table.Th>{messages.people.status}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.map((user) => (
                  <Table.Tr key={user.id}>
                    <Table.Td fw={600}>{personName(user) ?? '—'}</Table.Td>
                    <Table.Td className="cell-clip" data-label={messages.people.email}>{user.email ?? '—'}</Table.Td>
                    <Table.Td data-label={messages.people.role}>{messages.roles[user.role]}</Table.Td>
                    <Table.Td>
                      <StatusBadge status={user.status} label={messages.people.statuses[user.status]} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </div>
          <Group justify="flex-end" mt="sm">
            {list.data.next_cursor && (
              <Button variant="default" size="xs" onClick={() => setSearch({ ...(role ? { role } : {}), cursor: list.data.next_cursor ?? '' })}>
                {messages.common.next}
              </Button>
            )}
          </Group>
        </>
      )}
    </>
  );
}
