import { Alert, Button, Card, Code, Group, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { dataOf } from '../../api/failure.ts';
import { type Enrollment, queries, type Session } from '../../api/queries.ts';
import { api, type SignedInUser } from '../../api/session.ts';
import { messages } from '../../messages.ts';
import { CopyButton } from '../../ui/CopyButton.tsx';
import { formatSessionWhen, isoDay } from '../../ui/format.ts';
import { LocationName } from '../../ui/LocationName.tsx';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { describeFailure, Empty, FailureNotice, Loading } from '../../ui/states.tsx';
import { StatusBadge } from '../../ui/StatusBadge.tsx';

/**
 * My places (enrolled, or waitlisted with a position that moves live) and my calendar link: the coming
 * sessions first, soonest first, then the past ones, latest first. The enrollments come in the order
 * they were made, so each place's session (read for all places at once, and shown on its card) gives the order.
 */
export function MySchedulePage({ user }: { user: SignedInUser }) {
  const mine = useQuery(queries.myEnrollments(user.id));
  const places = (mine.data?.items ?? []).filter((row) => row.status !== 'CANCELLED');
  // The places' sessions in one request (one per hundred places, the API's most ids at once), not one each.
  const ids = [...new Set(places.map((row) => row.session_id))].sort();
  const pages = useQueries({ queries: inGroupsOf(ids, maxIdsPerRequest).map((group) => queries.sessionsByIds(group)) });
  const sessionOf = new Map(pages.flatMap((page) => (page.data?.items ?? []).map((session) => [session.id, session] as const)));
  const rows = inScheduleOrder(places, sessionOf, isoDay());
  return (
    <>
      <PageHeader title={messages.schedule.title} />
      {mine.isPending ? (
        <Loading />
      ) : mine.isError ? (
        <FailureNotice error={mine.error} onRetry={() => void mine.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>{messages.schedule.empty}</Empty>
      ) : (
        <Stack gap="sm">
          {rows.map((row) => (
            <MyPlace key={row.id} enrollment={row} session={sessionOf.get(row.session_id)} />
          ))}
        </Stack>
      )}
      <CalendarFeed />
    </>
  );
}

/** The most session ids `GET /v1/sessions?ids=…` takes at once. */
const maxIdsPerRequest = 100;

function inGroupsOf<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));
}

/** Coming sessions (from `today`) soonest first, then past ones latest first; places whose session is not read yet last. */
function inScheduleOrder(places: Enrollment[], sessionOf: Map<string, Session>, today: string): Enrollment[] {
  const when = (place: Enrollment) => {
    const session = sessionOf.get(place.session_id);
    return session ? `${session.session_date} ${session.start_time}` : null;
  };
  const rank = (place: Enrollment) => {
    const at = when(place);
    return at === null ? 2 : at >= today ? 0 : 1;
  };
  return [...places].sort((a, b) => {
    const [rankA, rankB] = [rank(a), rank(b)];
    if (rankA !== rankB) return rankA - rankB;
    const [atA, atB] = [when(a) ?? '', when(b) ?? ''];
    return rankA === 0 ? atA.localeCompare(atB) : atB.localeCompare(atA);
  });
}

/** A place, with its session once read (the page reads them all in one request). */
function MyPlace({ enrollment, session }: { enrollment: Enrollment; session: Session | undefined }) {
  const queryClient = useQueryClient();
  const location = useQuery({ ...queries.location(session?.location_id ?? ''), enabled: session !== undefined });
  const cancel = useMutation({
    mutationFn: () => dataOf(api.POST('/v1/enrollments/{id}/cancel', { params: { path: { id: enrollment.id } }, body: { version: enrollment.version } })),
    onSuccess: () => {
      notifications.show({ color: 'teal', message: messages.catalogue.cancelledToast });
      void queryClient.invalidateQueries({ queryKey: ['my-enrollments'] });
    },
    onError: (error) => notifications.show({ color: 'red', message: describeFailure(error) }),
  });
  return (
    <Card withBorder padding="md" data-testid="my-place">
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Text fw={600}>{session?.title ?? '…'}</Text>
          <StatusBadge status={enrollment.status} label={enrollment.status === 'WAITLISTED' ? messages.catalogue.waitlisted(enrollment.waitlist_position ?? 0) : messages.catalogue.enrolled} />
        </Group>
        {session && <Text size="sm">{formatSessionWhen(session, location.data?.timezone)}</Text>}
        {session && (
          <Text size="sm" c="dimmed">
            <LocationName id={session.location_id} />
          </Text>
        )}
        {session?.status === 'SCHEDULED' && (
          <Group justify="flex-end">
            <Button variant="subtle" color="red.9" c="red.9" size="xs" onClick={() => cancel.mutate()} loading={cancel.isPending}>
              {messages.catalogue.cancelEnrollment}
            </Button>
          </Group>
        )}
      </Stack>
    </Card>
  );
}

/** The iCal subscription: the server shows the link once, when it is made. */
function CalendarFeed() {
  const feed = useQuery(queries.calendarFeed());
  const create = useMutation({ mutationFn: () => dataOf(api.POST('/v1/me/calendar-feed')) });
  return (
    <Card withBorder padding="md" mt="lg">
      <Title order={3} size="h5" mb="xs">
        {messages.schedule.feed}
      </Title>
      <Text size="sm" mb="sm">
        {messages.schedule.feedExplain}
      </Text>
      {create.data ? (
        <Stack gap="xs" align="flex-start">
          {/* Wrapped anywhere: a link of one long word was cut off at the card's edge on a phone. */}
          <Code block className="feed-url" data-testid="calendar-feed-url" tabIndex={0}>
            {create.data.url}
          </Code>
          <CopyButton value={create.data.url} label={messages.schedule.feedCopy} copiedLabel={messages.schedule.feedCopied} />
        </Stack>
      ) : (
        <>
          {feed.data?.exists && (
            <Text size="sm" mb="sm">
              {messages.schedule.feedExists}
            </Text>
          )}
          {create.isError && (
            <Alert color="red" mb="sm">
              {describeFailure(create.error)}
            </Alert>
          )}
          <Button variant="light" onClick={() => create.mutate()} loading={create.isPending}>
            {feed.data?.exists ? messages.schedule.feedRenew : messages.schedule.feedCreate}
          </Button>
        </>
      )}
    </Card>
  );
}
