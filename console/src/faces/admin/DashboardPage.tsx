import { Anchor, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Link } from 'react-router';
import { dataOf } from '../../api/failure.ts';
import { api } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { CapacityBar } from '../../ui/CapacityBar.tsx';
import { formatInstant, formatNumber, formatSessionDay, formatWallTime } from '../../ui/format.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { Empty, FailureNotice, Loading } from '../../ui/states.tsx';

/** The chart library only for those who open the dashboard. */
const DashboardCharts = lazy(() => import('./DashboardCharts.tsx'));

/** A rate of 0 to 1 as a percentage (the API's pass_rate is completions / (completions + failures)). */
const percent = (value: number | null) => (value === null ? '—' : `${formatNumber(Math.round(value * 1000) / 10)}%`);

function Figure({ label, value, before }: { label: string; value: string; before?: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fw={700} fz="xl">
        {value}
      </Text>
      {before !== undefined && <Text size="xs">{messages.dashboard.lastMonth(before)}</Text>}
    </Paper>
  );
}

/** What needs attention today, a few numbers against last month, and the next two weeks with their fill. */
export function DashboardPage() {
  const dashboard = useQuery({ queryKey: ['sessions', 'dashboard'], queryFn: () => dataOf(api.GET('/v1/dashboard')) });
  if (dashboard.isPending) {
    return (
      <>
        <PageHeader title={messages.dashboard.title} />
        <Loading rows={8} />
      </>
    );
  }
  if (dashboard.isError) return <FailureNotice error={dashboard.error} onRetry={() => void dashboard.refetch()} />;
  const { activity, attention, upcoming, certificates, compliance } = dashboard.data;
  const now = activity.this_month;
  const before = activity.last_month;

  return (
    <Stack gap="lg">
      <PageHeader title={messages.dashboard.title} />
      <div className="grid-figures">
        <Figure label={messages.dashboard.enrollments} value={formatNumber(now.enrollments)} before={formatNumber(before.enrollments)} />
        <Figure label={messages.dashboard.completions} value={formatNumber(now.completions)} before={formatNumber(before.completions)} />
        <Figure label={messages.dashboard.passRate} value={percent(now.pass_rate)} before={percent(before.pass_rate)} />
        <Figure label={messages.dashboard.certificatesIssued} value={formatNumber(certificates.issued_this_month)} before={formatNumber(certificates.issued_last_month)} />
      </div>
      <section aria-labelledby="dashboard-attention">
        <Title order={3} size="h4" id="dashboard-attention" mb="xs">
          {messages.dashboard.attention} ({attention.total})
        </Title>
        {attention.sessions.length === 0 ? (
          <Empty>{messages.dashboard.nothingToDo}</Empty>
        ) : (
          <Stack gap="xs" data-testid="attention-list">
            {attention.sessions.map((session) => (
              <Paper withBorder p="sm" key={session.id}>
                <Anchor component={Link} to={`/sessions/${session.id}`} fw={600}>
                  {session.title}
                </Anchor>
                <Text size="sm">
                  {formatSessionDay(session.session_date)}, {formatWallTime(session.start_time)} · {session.reasons.map((reason) => messages.dashboard.reasons[reason]).join(' · ')}
                </Text>
              </Paper>
            ))}
          </Stack>
        )}
      </section>
      <section aria-labelledby="dashboard-upcoming">
        <Title order={3} size="h4" id="dashboard-upcoming" mb="xs">
          {messages.dashboard.upcoming} ({upcoming.total})
        </Title>
        {upcoming.sessions.length === 0 ? (
          <Empty>{messages.dashboard.noUpcoming}</Empty>
        ) : (
          <div className="grid-halves" data-testid="upcoming-list">
            {upcoming.sessions.map((session) => (
              <Paper withBorder p="sm" key={session.id}>
                <Anchor component={Link} to={`/sessions/${session.id}`} fw={600}>
                  {session.title}
                </Anchor>
                <Text size="sm" mb={4}>
                  {formatSessionDay(session.session_date)}, {formatWallTime(session.start_time)}
                </Text>
                <CapacityBar enrolled={session.current_enrollment} capacity={session.max_capacity} waitlisted={session.waitlisted} />
              </Paper>
            ))}
          </div>
        )}
      </section>
      <section aria-labelledby="dashboard-months">
        <Title order={3} size="h4" id="dashboard-months" mb="xs">
          {messages.dashboard.thisMonthVsLast}
        </Title>
        {/* A card per month on a phone, each figure on its own line named by its column: nothing off to the right. */}
        <div className="table-scroll">
          <Table verticalSpacing="xs" className="stack-on-phone" data-testid="dashboard-months-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{messages.dashboard.month}</Table.Th>
                <Table.Th ta="right">{messages.dashboard.enrollmentsColumn}</Table.Th>
                <Table.Th ta="right">{messages.dashboard.completionsColumn}</Table.Th>
                <Table.Th ta="right">{messages.dashboard.failures}</Table.Th>
                <Table.Th ta="right">{messages.dashboard.noShows}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {[now, before].map((month) => (
                <Table.Tr key={month.month}>
                  <Table.Td data-label={messages.dashboard.month}>{month.month}</Table.Td>
                  <Table.Td ta="right" data-label={messages.dashboard.enrollmentsColumn}>{formatNumber(month.enrollments)}</Table.Td>
                  <Table.Td ta="right" data-label={messages.dashboard.completionsColumn}>{formatNumber(month.completions)}</Table.Td>
                  <Table.Td ta="right" data-label={messages.dashboard.failures}>{formatNumber(month.failures)}</Table.Td>
                  <Table.Td ta="right" data-label={messages.dashboard.noShows}>{formatNumber(month.no_shows)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </div>
      </section>
      <Suspense fallback={<Loading rows={4} />}>
        <DashboardCharts data={dashboard.data} />
      </Suspense>
      <div className="grid-halves">
        <Figure label={messages.dashboard.expiring} value={[certificates.expiring_30_days, certificates.expiring_60_days, certificates.expiring_90_days].map(formatNumber).join(' / ')} />
        <Figure
          label={messages.dashboard.compliance}
          value={(['compliant', 'expiring', 'overdue', 'pending'] as const).map((part) => `${messages.dashboard.complianceParts[part]} ${formatNumber(compliance[part])}`).join(' · ')}
        />
      </div>
      <Text size="xs" c="dimmed">
        {messages.dashboard.asOf(formatInstant(dashboard.data.generated_at))}
      </Text>
    </Stack>
  );
}
