import { Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { dataOf } from '../../api/failure.ts';
import { type Enrollment, queries, type Session } from '../../api/queries.ts';
import { api, type SignedInUser } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { formatSessionWhen, isoDay } from '../../ui/format.ts';
import { LocationName } from '../../ui/LocationName.tsx';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { describeFailure, Empty, FailureNotice, Loading } from '../../ui/states.tsx';

/** A course's upcoming sessions with seats left, and one button that says what it will do. */
export function CourseSessionsPage({ user }: { user: SignedInUser }) {
  const { code = '' } = useParams();
  const entry = useQuery(queries.catalogueEntry(code));
  const sessions = useQuery({ ...queries.sessions({ course_id: entry.data?.id ?? '', status: 'SCHEDULED', from: isoDay() }), enabled: entry.isSuccess });
  const mine = useQuery(queries.myEnrollments(user.id));
  // The calendar counts each visible session's waitlist: what "you'd be #N" is made of.
  const listed = sessions.data?.items ?? [];
  const lastDay = listed.map((session) => session.session_date).sort().pop();
  const calendar = useQuery({
    queryKey: ['calendar', 'course', entry.data?.id, lastDay],
    queryFn: () => dataOf(api.GET('/v1/calendar', { params: { query: { from: isoDay(), to: lastDay ?? isoDay() } } })),
    enabled: lastDay !== undefined && lastDay <= isoDay(365),
  });
  const waitlistOf = new Map((calendar.data?.items ?? []).map((item) => [item.id, item.waitlisted]));
  if (entry.isPending) return <Loading />;
  if (entry.isError) return <FailureNotice error={entry.error} />;
  const myPlace = new Map((mine.data?.items ?? []).filter((row) => row.status !== 'CANCELLED').map((row) => [row.session_id, row]));
  return (
    <>
      <PageHeader title={entry.data.title} />
      {entry.data.description && <Text mb="md">{entry.data.description}</Text>}
      <Title order={3} size="h4" mb="sm">
        {messages.catalogue.upcoming}
      </Title>
      {sessions.isPending ? (
        <Loading />
      ) : sessions.isError ? (
        <FailureNotice error={sessions.error} />
      ) : sessions.data.items.length === 0 ? (
        <Empty>{messages.catalogue.noSessions}</Empty>
      ) : (
        <Stack gap="sm">
          {sessions.data.items.map((session) => (
            <SessionCard key={session.id} session={session} mine={myPlace.get(session.id)} userId={user.id} waitlisted={waitlistOf.get(session.id)} />
          ))}
        </Stack>
      )}
    </>
  );
}

function SessionCard({ session, mine, userId, waitlisted }: { session: Session; mine: Enrollment | undefined; userId: string; waitlisted: number | undefined }) {
  const queryClient = useQueryClient();
  const location = useQuery(queries.location(session.location_id));
  const seatsLeft = Math.max(0, session.max_capacity - session.current_enrollment);
  const enroll = useMutation({
    mutationFn: () => dataOf(api.POST('/v1/sessions/{id}/enrollments', { params: { path: { id: session.id } }, body: { student_id: userId } })),
    onSuccess: (enrollment) => {
      notifications.show({ color: 'teal', message: enrollment.status === 'WAITLISTED' ? messages.catalogue.waitlistedToast : messages.catalogue.enrolledToast });
      void queryClient.invalidateQueries({ queryKey: ['my-enrollments'] });
      void queryClient.invalidateQueries({ queryKey: ['sessions'] });
    },
    onError: (error) => notifications.show({ color: 'red', message: describeFailure(error) }),
  });
  return (
    <Card withBorder padding="md">
      <Stack gap={6}>
        <Text fw={600}>{formatSessionWhen(session, location.data?.timezone)}</Text>
        <Text size="sm">
          <LocationName id={session.location_id} />
        </Text>
        <Group justify="space-between" wrap="wrap" gap="xs">
          <Text size="sm" fw={500} c={seatsLeft === 0 ? 'red.9' : 'teal.9'} data-testid="seats-left">
            {seatsLeft === 0 ? messages.session.full : messages.session.seatsLeft(seatsLeft)}
          </Text>
          {mine ? (
            <Text fw={600} data-testid="my-place">
              {mine.status === 'WAITLISTED' ? messages.catalogue.waitlisted(mine.waitlist_position ?? 0) : messages.catalogue.enrolled}
            </Text>
          ) : (
            <Button onClick={() => enroll.mutate()} loading={enroll.isPending} variant={seatsLeft === 0 ? 'outline' : 'filled'}>
              {seatsLeft > 0 ? messages.catalogue.enroll : waitlisted === undefined ? messages.catalogue.joinWaitlist : messages.catalogue.joinWaitlistAt(waitlisted + 1)}
            </Button>
          )}
        </Group>
      </Stack>
    </Card>
  );
}
