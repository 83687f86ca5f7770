import { Anchor, Button, Group, NativeSelect, Table, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { queries, type Session } from '../../api/queries.ts';
import { messages } from '../../messages.ts';
import { CapacityBar } from '../../ui/CapacityBar.tsx';
import { formatSessionDay, formatWallTime, isoDay } from '../../ui/format.ts';
import { LocationName } from '../../ui/LocationName.tsx';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { Empty, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';
import { NewSessionDialog } from './NewSessionDialog.tsx';

const statuses = ['SCHEDULED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED'] as const;

/** Sessions in a date range, filters in the URL (shareable, reloadable). Seat counts move live. */
export function SessionsPage() {
  const [search, setSearch] = useSearchParams();
  const from = search.get('from') ?? isoDay(-7);
  const to = search.get('to') ?? isoDay(60);
  const status = (search.get('status') ?? '') as Session['status'] | '';
  const cursor = search.get('cursor') ?? undefined;
  const list = useQuery(queries.sessions({ from, to, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) }));
  const set = (name: string, value: string) =>
    setSearch((previous) => {
      const next = new URLSearchParams(previous);
      if (value) next.set(name, value);
      else next.delete(name);
      if (name !== 'cursor') next.delete('cursor');
      return next;
    });

  return (
    <>
      <PageHeader title={messages.session.listTitle} actions={<NewSessionDialog />} />
      <Group mb="md" gap="sm" wrap="wrap" align="flex-end">
        <TextInput type="date" label={messages.session.from} value={from} onChange={(event) => set('from', event.currentTarget.value)} />
        <TextInput type="date" label={messages.session.to} value={to} onChange={(event) => set('to', event.currentTarget.value)} />
        <NativeSelect
          label={messages.session.status}
          value={status}
          onChange={(event) => set('status', event.currentTarget.value)}
          data={[{ value: '', label: messages.session.anyStatus }, ...statuses.map((value) => ({ value, label: messages.session.statuses[value] ?? value }))]}
        />
      </Group>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <FailureNotice error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty>{messages.session.empty}</Empty>
      ) : (
        <>
          <div className="table-scroll">
            <Table striped highlightOnHover verticalSpacing="xs" miw={640} className="stack-on-phone" data-testid="sessions-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{messages.session.date}</Table.Th>
                  <Table.Th>{messages.session.course}</Table.Th>
                  <Table.Th>{messages.session.location}</Table.Th>
                  <Table.Th>{messages.session.status}</Table.Th>
                  <Table.Th w={180}>{messages.session.capacity}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.map((session) => (
                  <Table.Tr key={session.id}>
                    <Table.Td className="nowrap">
                      {formatSessionDay(session.session_date)} {formatWallTime(session.start_time)}
                    </Table.Td>
                    <Table.Td data-label={messages.session.course}>
                      <Anchor component={Link} to={`/sessions/${session.id}`}>
                        {session.title}
                      </Anchor>
                    </Table.Td>
                    <Table.Td data-label={messages.session.location}>
                      <LocationName id={session.location_id} withZone />
                    </Table.Td>
                    <Table.Td data-label={messages.session.status}>
                      <StatusBadge status={session.status} label={messages.session.statuses[session.status]} />
                    </Table.Td>
                    <Table.Td data-label={messages.session.capacity}>
                      <CapacityBar enrolled={session.current_enrollment} capacity={session.max_capacity} waitlisted={0} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </div>
          <Group justify="flex-end" mt="sm">
            {cursor && (
              <Button variant="default" size="xs" onClick={() => set('cursor', '')}>
                {messages.common.previous}
              </Button>
            )}
            {list.data.next_cursor && (
              <Button variant="default" size="xs" onClick={() => set('cursor', list.data.next_cursor ?? '')}>
                {messages.common.next}
              </Button>
            )}
          </Group>
        </>
      )}
    </>
  );
}
