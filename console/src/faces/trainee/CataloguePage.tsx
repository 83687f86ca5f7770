import { Anchor, Badge, Card, Group, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { queries } from '../../api/queries.ts';
import { messages } from '../../messages.ts';
import { PageHeader } from '../../ui/PageHeader.tsx';
import { Empty, FailureNotice, Loading } from '../../ui/states.tsx';

/** Published courses, searched as you type (the search is in the URL). */
export function CataloguePage() {
  const [search, setSearch] = useSearchParams();
  const [text, setText] = useState(search.get('q') ?? '');
  const [q] = useDebouncedValue(text.trim(), 250);
  useEffect(() => setSearch(q ? { q } : {}, { replace: true }), [q, setSearch]);
  const list = useQuery({ ...queries.catalogue(q), placeholderData: keepPreviousData });
  return (
    <>
      <PageHeader title={messages.catalogue.title} />
      <TextInput type="search" label={messages.catalogue.search} value={text} onChange={(event) => setText(event.currentTarget.value)} mb="md" />
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <FailureNotice error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Empty>{messages.catalogue.empty}</Empty>
      ) : (
        <Stack gap="sm">
          {list.data.items.map((entry) => (
            <Card key={entry.id} withBorder padding="md">
              <Group justify="space-between" wrap="nowrap" align="flex-start">
                <div>
                  <Anchor component={Link} to={`/catalogue/${encodeURIComponent(entry.code)}`} fw={600}>
                    {entry.title}
                  </Anchor>
                  <Text size="sm" c="dimmed">
                    {entry.code} · {messages.course.minutes(entry.duration_minutes)}
                  </Text>
                </div>
                {entry.certifies && (
                  <Badge variant="dot" color="teal" c="dark.7" tt="none">
                    {messages.catalogue.certifies}
                  </Badge>
                )}
              </Group>
              {entry.description && (
                <Text size="sm" mt="xs" lineClamp={2}>
                  {entry.description}
                </Text>
              )}
            </Card>
          ))}
        </Stack>
      )}
    </>
  );
}
