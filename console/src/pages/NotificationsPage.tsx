import { Button, Card, Group, Stack, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { dataOf } from '../api/failure.ts';
import { queries } from '../api/queries.ts';
import { api } from '../api/session.ts';
import { messages } from '../messages.ts';
import { formatInstant } from '../ui/format.ts';
import { PageHeader } from '../ui/PageHeader.tsx';
import { Empty, FailureNotice, Loading } from '../ui/states.tsx';

export default function NotificationsPage() {
  const queryClient = useQueryClient();
  const list = useQuery(queries.notifications());
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['notifications'] });
  const markRead = useMutation({ mutationFn: (id: string) => dataOf(api.POST('/v1/notifications/{id}/read', { params: { path: { id } } })), onSuccess: refresh });
  const markAll = useMutation({ mutationFn: () => dataOf(api.POST('/v1/notifications/read-all')), onSuccess: refresh });
  return (
    <>
      <PageHeader
        title={messages.notifications.title}
        actions={
          (list.data?.unread ?? 0) > 0 && (
            <Button variant="default" size="sm" onClick={() => markAll.mutate()} loading={markAll.isPending}>
              {messages.notifications.markAllRead}
            </Button>
          )
        }
      />
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <FailureNotice error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty>{messages.notifications.empty}</Empty>
      ) : (
        <Stack gap="xs">
          {list.data.items.map((item) => (
            <Card key={item.id} withBorder padding="sm" bg={item.read_at ? undefined : 'blue.0'}>
              <Group justify="space-between" wrap="nowrap" align="flex-start">
                <div>
                  <Text fw={item.read_at ? 400 : 700}>{item.title}</Text>
                  {typeof item.body === 'string' && <Text size="sm">{item.body}</Text>}
                  <Text size="xs" c="dark.3">
                    {formatInstant(item.created_at)}
                  </Text>
                </div>
                {!item.read_at && (
                  <Button variant="subtle" size="xs" onClick={() => markRead.mutate(item.id)}>
                    {messages.notifications.markRead}
                  </Button>
                )}
              </Group>
            </Card>
          ))}
        </Stack>
      )}
    </>
  );
}
