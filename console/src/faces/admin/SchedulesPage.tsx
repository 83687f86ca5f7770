import { Anchor, Button, Table } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { dataOf } from '../../api/failure.ts';
import { queries } from '../../api/queries.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { formatWallTime } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { Pager, useSearchFilters } from '../../ui/Pager.tsx';
import { Empty, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';
import { describeRule, formatDay, ruleFormOf } from './recurrence.ts';

/** The schedules: each rule in words, where, from when, and how far its sessions are made. */
export function SchedulesPage() {
  const [search] = useSearchFilters();
  const cursor = search.get('cursor') ?? undefined;
  const list = useQuery({
    queryKey: ['schedules', 'list', cursor ?? ''],
    queryFn: () => dataOf(api.GET('/v1/schedules', { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } })),
  });
  const courses = useQuery(queries.courses());
  const locations = useQuery(queries.locations());
  const courseOf = new Map((courses.data?.items ?? []).map((course) => [course.id, course]));
  const locationOf = new Map((locations.data?.items ?? []).map((location) => [location.id, location]));

  return (
    <>
      <PageHeader
        title={messages.schedules.title}
        actions={
          <Button component={Link} to="/schedules/new">
            {messages.schedules.new}
          </Button>
        }
      />
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <FailureNotice error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty>{messages.schedules.empty}</Empty>
      ) : (
        <>
          <div className="table-scroll">
            <Table striped verticalSpacing="xs" miw={640} className="stack-on-phone" data-testid="schedules-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{messages.schedules.course}</Table.Th>
                  <Table.Th>{messages.schedules.rule}</Table.Th>
                  <Table.Th>{messages.schedules.location}</Table.Th>
                  <Table.Th>{messages.schedules.generatedThrough}</Table.Th>
                  <Table.Th>{messages.schedules.status}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.map((schedule) => {
                  const form = ruleFormOf(schedule.rrule, schedule.start_date, schedule.until);
                  const time = formatWallTime(schedule.start_time);
                  const course = courseOf.get(schedule.course_id);
                  return (
                    <Table.Tr key={schedule.id}>
                      <Table.Td className="nowrap" fw={600}>{course?.code ?? '…'}</Table.Td>
                      <Table.Td>
                        <Anchor component={Link} to={`/schedules/${schedule.id}`}>
                          {form ? describeRule(form, time, schedule.timezone) : `${schedule.rrule} · ${time} ${schedule.timezone}`}
                        </Anchor>
                        <div className="dimmed-line">
                          {messages.schedules.from} {formatDay(schedule.start_date)}
                        </div>
                      </Table.Td>
                      <Table.Td data-label={messages.schedules.location}>{locationOf.get(schedule.location_id)?.name ?? '…'}</Table.Td>
                      <Table.Td className="nowrap" data-label={messages.schedules.generatedThrough}>
                        {schedule.generated_through ? (
                          <Anchor component={Link} to={`/calendar?view=week&week=${schedule.generated_through}`}>
                            {formatDay(schedule.generated_through)}
                          </Anchor>
                        ) : (
                          '—'
                        )}
                      </Table.Td>
                      <Table.Td>
                        <StatusBadge status={schedule.status} label={messages.schedules.statuses[schedule.status]} />
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </div>
          <Pager nextCursor={list.data.next_cursor} />
        </>
      )}
    </>
  );
}
