import { Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { queries, type Session } from '../../api/queries.ts';
import type { SignedInUser } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { CapacityBar } from '../../ui/CapacityBar.tsx';
import { formatSessionWhen, isoDay } from '../../ui/format.ts';
import { LocationName } from '../../ui/LocationName.tsx';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { Empty, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';

/** What I teach: today, the next seven days, later. */
export function TeachingPage({ user }: { user: SignedInUser }) {
  const list = useQuery(queries.sessions({ instructor_id: user.id, from: isoDay(-1), to: isoDay(60) }));
  if (list.isPending) return <Loading />;
  if (list.isError) return <FailureNotice error={list.error} onRetry={() => void list.refetch()} />;
  const today = isoDay();
  const weekEnd = isoDay(7);
  const groups: [string, Session[]][] = [
    [messages.instructor.today, list.data.items.filter((session) => session.session_date <= today)],
    [messages.instructor.thisWeek, list.data.items.filter((session) => session.session_date > today && session.session_date <= weekEnd)],
    [messages.instructor.later, list.data.items.filter((session) => session.session_date > weekEnd)],
  ];
  return (
    <>
      <PageHeader title={messages.nav.mySessions} />
      {list.data.items.length === 0 && <Empty>{messages.instructor.empty}</Empty>}
      {groups
        .filter(([, sessions]) => sessions.length > 0)
        .map(([label, sessions]) => (
          <section key={label}>
            <Title order={3} size="h4" mt="md" mb="sm">
              {label}
            </Title>
            <Stack gap="sm">
              {sessions.map((session) => (
                <TaughtSession key={session.id} session={session} />
              ))}
            </Stack>
          </section>
        ))}
    </>
  );
}

function TaughtSession({ session }: { session: Session }) {
  const location = useQuery(queries.location(session.location_id));
  return (
    <Card withBorder padding="md">
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Text fw={600}>{session.title}</Text>
          <StatusBadge status={session.status} label={messages.session.statuses[session.status]} />
        </Group>
        <Text size="sm">{formatSessionWhen(session, location.data?.timezone)}</Text>
        <Text size="sm" c="dimmed">
          <LocationName id={session.location_id} />
        </Text>
        <CapacityBar enrolled={session.current_enrollment} capacity={session.max_capacity} waitlisted={0} />
        {session.status !== 'CANCELLED' && (
          <Group justify="flex-end">
            <Button component={Link} to={`/teaching/${session.id}`} size="md">
              {messages.instructor.takeAttendance}
            </Button>
          </Group>
        )}
      </Stack>
    </Card>
  );
}
