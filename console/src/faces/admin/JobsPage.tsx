import { Button, Group, NativeSelect, Table } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Schemas } from '../../../../client/index.ts';
import { dataOf } from '../../api/failure.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { formatInstant } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { Pager, useSearchFilters } from '../../ui/Pager.tsx';
import { describeFailure, Empty, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';
import { ActionsHeader } from '../../ui/ListRow.tsx';

type Job = Schemas['Job'];
const statuses = ['DEAD', 'FAILED', 'PENDING', 'RUNNING', 'SUCCEEDED'] as const;

/** Background jobs, the dead ones first (the URL's default): what failed, how often, and a retry. */
export function JobsPage() {
  const [search, set] = useSearchFilters();
  // No status in the URL: the dead letters, which are what someone opens this page for; "all" lists every job.
  const asked = search.get('status') ?? 'DEAD';
  const status = statuses.find((value) => value === asked);
  const cursor = search.get('cursor') ?? '';
  const filter = { limit: 50, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) };
  const list = useQuery({ queryKey: ['jobs', filter], queryFn: () => dataOf(api.GET('/v1/admin/jobs', { params: { query: filter } })) });

  return (
    <>
      <PageHeader title={messages.jobs.title} />
      <Group mb="md" gap="sm" align="flex-end">
        <NativeSelect
          label={messages.jobs.status}
          value={status ?? 'all'}
          onChange={(event) => set({ status: event.currentTarget.value === 'DEAD' ? '' : event.currentTarget.value })}
          data={[...statuses.map((value) => ({ value, label: messages.jobs.statuses[value] ?? value })), { value: 'all', label: messages.jobs.anyStatus }]}
        />
      </Group>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <FailureNotice error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty>{status === 'DEAD' ? messages.jobs.emptyDead : messages.jobs.empty}</Empty>
      ) : (
        <>
          <div className="table-scroll">
            <Table striped verticalSpacing="xs" miw={720} className="stack-on-phone" data-testid="jobs-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{messages.jobs.handler}</Table.Th>
                  <Table.Th>{messages.jobs.status}</Table.Th>
                  <Table.Th>{messages.jobs.attempts}</Table.Th>
                  <Table.Th>{messages.jobs.lastError}</Table.Th>
                  <Table.Th>{messages.jobs.created}</Table.Th>
                  <ActionsHeader />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.map((job) => (
                  <Table.Tr key={job.id}>
                    <Table.Td className="nowrap">{job.handler}</Table.Td>
                    <Table.Td>
                      <StatusBadge status={job.status} label={messages.jobs.statuses[job.status]} />
                    </Table.Td>
                    <Table.Td data-label={messages.jobs.attempts}>
                      {job.attempts} / {job.max_attempts}
                    </Table.Td>
                    <Table.Td className="cell-clip" title={job.last_error ?? undefined} data-label={messages.jobs.lastError}>
                      {job.last_error ?? '—'}
                    </Table.Td>
                    <Table.Td className="nowrap" data-label={messages.jobs.created}>{formatInstant(job.created_at)}</Table.Td>
                    <Table.Td ta="right">{(job.status === 'DEAD' || job.status === 'FAILED') && <RetryButton job={job} />}</Table.Td>
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

function RetryButton({ job }: { job: Job }) {
  const queryClient = useQueryClient();
  const retry = useMutation({
    mutationFn: () => dataOf(api.POST('/v1/admin/jobs/{id}/retry', { params: { path: { id: job.id } } })),
    onSuccess: () => {
      notifications.show({ color: 'teal', message: messages.jobs.retried });
      void queryClient.invalidateQueries({ queryKey: ['jobs'] });
    },
    onError: (error) => notifications.show({ color: 'red', message: describeFailure(error) }),
  });
  return (
    <Button variant="default" size="compact-sm" loading={retry.isPending} onClick={() => retry.mutate()} aria-label={`${messages.jobs.retry} ${job.handler}`}>
      {messages.jobs.retry}
    </Button>
  );
}
