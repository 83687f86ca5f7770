import { Group, Title } from '@mantine/core';
import { type ReactNode, useEffect } from 'react';
import { messages } from '../messages.ts';

/** The page's heading, and the document title that names it (tabs, history, screen readers). */
export function PageHeader({ title, actions }: { title: string; actions?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · ${messages.appName}`;
  }, [title]);
  return (
    <Group justify="space-between" mb="md" wrap="wrap" gap="sm">
      <Title order={2}>{title}</Title>
      {actions}
    </Group>
  );
}
