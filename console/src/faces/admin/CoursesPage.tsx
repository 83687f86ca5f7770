import { Button, Group, Table } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { queries } from '../../api/queries.ts';
import { messages } from '../../messages.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { Empty, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';

export function CoursesPage() {
  const [search, setSearch] = useSearchParams();
  const cursor = search.get('cursor') ?? undefined;
  const list = useQuery(queries.courses(cursor));
  return (
    <>
      <PageHeader title={messages.course.listTitle} />
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <FailureNotice error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty>{messages.course.empty}</Empty>
      ) : (
        <>
          <div className="table-scroll">
            <Table striped verticalSpacing="xs" miw={560} className="stack-on-phone">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{messages.course.code}</Table.Th>
                  <Table.Th>{messages.course.title}</Table.Th>
                  <Table.Th>{messages.course.duration}</Table.Th>
                  <Table.Th>{messages.course.certifies}</Table.Th>
                  <Table.Th>{messages.course.status}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.map((course) => (
                  <Table.Tr key={course.id}>
                    <Table.Td className="nowrap" fw={600}>{course.code}</Table.Td>
                    <Table.Td>{course.title}</Table.Td>
                    <Table.Td className="nowrap" data-label={messages.course.duration}>{messages.course.minutes(course.duration_minutes)}</Table.Td>
                    <Table.Td data-label={messages.course.certifies}>{course.certifies ? '✓' : '—'}</Table.Td>
                    <Table.Td>
                      <StatusBadge status={course.status} label={messages.course.statuses[course.status]} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </div>
          <Group justify="flex-end" mt="sm">
            {cursor && (
              <Button variant="default" size="xs" onClick={() => setSearch({})}>
                {messages.common.previous}
              </Button>
            )}
            {list.data.next_cursor && (
              <Button variant="default" size="xs" onClick={() => setSearch({ cursor: list.data.next_cursor ?? '' })}>
                {messages.common.next}
              </Button>
            )}
          </Group>
        </>
      )}
    </>
  );
}
