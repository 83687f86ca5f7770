import '@mantine/charts/styles.css';
import { BarChart, DonutChart } from '@mantine/charts';
import { Group, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import type { Schemas } from '../../../../client/index.ts';
import { messages } from '../../messages.ts';
import { formatNumber, formatSessionDay } from '../../ui/format.ts';

type Dashboard = Schemas['Dashboard'];

/** Pixels per bar of the fill chart: three lines of its 12 px axis labels. */
const fillRowHeight = 48;

/**
 * The dashboard's charts (Mantine charts on recharts: SVG drawn by React, no <style> elements, so the
 * Content-Security-Policy holds). Each is a figure with a caption, and its numbers are also in words beside
 * or under it: a chart is never the only place a figure is.
 */
function ChartFigure({ id, title, children, summary }: { id: string; title: string; children: ReactNode; summary: string }) {
  return (
    <Paper withBorder p="sm" component="figure" aria-labelledby={`${id}-title`} className="chart-figure" data-testid={id}>
      <Title order={4} size="h5" id={`${id}-title`} mb="xs">
        {title}
      </Title>
      {children}
      <Text size="xs" mt="xs" component="figcaption">
        {summary}
      </Text>
    </Paper>
  );
}

export default function DashboardCharts({ data }: { data: Dashboard }) {
  const { activity, upcoming, certificates, compliance } = data;
  const now = activity.this_month;
  const before = activity.last_month;
  const thisLabel = messages.dashboard.chart.monthLabel(now.month);
  const lastLabel = messages.dashboard.chart.monthLabel(before.month);
  const monthSeries = [
    { name: thisLabel, color: 'blue.8' },
    { name: lastLabel, color: 'gray.5' },
  ];
  const months = [
    { metric: messages.dashboard.enrollmentsColumn, [thisLabel]: now.enrollments, [lastLabel]: before.enrollments },
    { metric: messages.dashboard.completionsColumn, [thisLabel]: now.completions, [lastLabel]: before.completions },
    { metric: messages.dashboard.failures, [thisLabel]: now.failures, [lastLabel]: before.failures },
    { metric: messages.dashboard.noShows, [thisLabel]: now.no_shows, [lastLabel]: before.no_shows },
  ];
  const fills = upcoming.sessions.slice(0, 8).map((session) => ({
    session: `${formatSessionDay(session.session_date)} · ${session.title}`,
    [messages.dashboard.chart.fill]: session.max_capacity > 0 ? Math.round((session.current_enrollment / session.max_capacity) * 100) : 0,
  }));
  const parts = [
    { name: messages.dashboard.complianceParts['compliant'] ?? '', value: compliance.compliant, color: 'teal.8' },
    { name: messages.dashboard.complianceParts['expiring'] ?? '', value: compliance.expiring, color: 'yellow.6' },
    { name: messages.dashboard.complianceParts['overdue'] ?? '', value: compliance.overdue, color: 'red.8' },
    { name: messages.dashboard.complianceParts['pending'] ?? '', value: compliance.pending, color: 'gray.6' },
  ];
  const expiring = [
    { window: messages.dashboard.chart.within(30), [messages.dashboard.chart.certificates]: certificates.expiring_30_days },
    { window: messages.dashboard.chart.within(60), [messages.dashboard.chart.certificates]: certificates.expiring_60_days },
    { window: messages.dashboard.chart.within(90), [messages.dashboard.chart.certificates]: certificates.expiring_90_days },
  ];
  return (
    <div className="grid-halves">
      <ChartFigure id="chart-months" title={messages.dashboard.chart.monthsTitle} summary={messages.dashboard.chart.monthsSummary(now.enrollments, before.enrollments, now.completions, before.completions)}>
        <BarChart
          h={220}
          data={months}
          dataKey="metric"
          series={monthSeries}
          withLegend
          maxBarWidth={36}
          // Every metric named even on a phone, where recharts would drop the labels that touch.
          xAxisProps={{ interval: 0, fontSize: 11 }}
          yAxisProps={{ allowDecimals: false }}
          tickLine="y"
          // The legend in the bars' order (this month first): recharts sorts it by label otherwise, which put last month first.
          legendProps={{ verticalAlign: 'bottom', itemSorter: (item) => monthSeries.findIndex((series) => series.name === item.value) }}
        />
      </ChartFigure>
      <ChartFigure id="chart-fill" title={messages.dashboard.chart.fillTitle} summary={fills.length === 0 ? messages.dashboard.noUpcoming : messages.dashboard.chart.fillSummary(fills.length)}>
        {fills.length > 0 && (
          // A row per session, tall enough for its label's three lines (day, course title wrapped at 140 px): a fixed height made the labels of eight sessions overlap.
          <BarChart h={fills.length * fillRowHeight + 40} data={fills} dataKey="session" orientation="vertical" maxBarWidth={28} yAxisProps={{ width: 140 }} xAxisProps={{ domain: [0, 100] }} valueFormatter={(value) => `${value}%`} series={[{ name: messages.dashboard.chart.fill, color: 'teal.8' }]} />
        )}
      </ChartFigure>
      <ChartFigure id="chart-compliance" title={messages.dashboard.compliance} summary={parts.map((part) => `${part.name} ${formatNumber(part.value)}`).join(' · ')}>
        <Group justify="center">
          <DonutChart data={parts.every((part) => part.value === 0) ? [{ name: messages.dashboard.chart.none, value: 1, color: 'gray.3' }] : parts} withTooltip={false} size={160} thickness={28} chartLabel={formatNumber(parts.reduce((sum, part) => sum + part.value, 0))} />
        </Group>
      </ChartFigure>
      <ChartFigure id="chart-expiring" title={messages.dashboard.chart.expiringTitle} summary={messages.dashboard.chart.expiringSummary(certificates.expiring_30_days, certificates.expiring_60_days, certificates.expiring_90_days)}>
        <Stack gap={0}>
          <BarChart h={200} data={expiring} dataKey="window" series={[{ name: messages.dashboard.chart.certificates, color: 'orange.8' }]} maxBarWidth={48} yAxisProps={{ allowDecimals: false }} tickLine="y" />
        </Stack>
      </ChartFigure>
    </div>
  );
}
