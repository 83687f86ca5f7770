import { Alert, Button, Group, Skeleton, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { ApiFailure } from '../api/failure.ts';
import { messages } from '../messages.ts';

/** Skeleton rows while a page's data is on its way. */
export function Loading({ rows = 4 }: { rows?: number }) {
  return (
    <Stack gap="xs" role="status" aria-busy="true" aria-label={messages.common.loading}>
      {Array.from({ length: rows }, (_, index) => (
        <Skeleton key={index} height={28} radius="sm" />
      ))}
    </Stack>
  );
}

/** What the user should do next when a list is empty. */
export function Empty({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" py="lg" ta="center">
      {children}
    </Text>
  );
}

/** The sentence for a failure: plain words for 403, 404, 409 and a dropped network; the API's message otherwise. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof ApiFailure)) return error instanceof Error ? error.message : String(error);
  if (error.status === 0) return messages.common.networkDown;
  if (error.isVersionConflict) return messages.common.versionConflict;
  if (error.status === 403) return messages.common.forbidden;
  if (error.status === 404) return messages.common.notFound;
  return error.message;
}

/** A failure shown where the data would be; a 409 offers a reload of what changed. */
export function FailureNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const conflict = error instanceof ApiFailure && error.isVersionConflict;
  return (
    <Alert color={conflict ? 'yellow' : 'red'} role="alert" title={conflict ? undefined : undefined}>
      <Group justify="space-between" wrap="wrap" gap="sm">
        <Text size="sm">{describeFailure(error)}</Text>
        {onRetry && (
          <Button size="xs" variant="light" onClick={onRetry}>
            {conflict ? messages.common.reload : messages.common.retry}
          </Button>
        )}
      </Group>
    </Alert>
  );
}
