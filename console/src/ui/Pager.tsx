import { Button, Group } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { messages } from '../messages.ts';

/**
 * Next / first page for a cursor-paged list, the cursor in the URL (a shared link opens the same page).
 * Other search parameters (filters) are kept.
 */
export function Pager({ nextCursor }: { nextCursor: string | null | undefined }) {
  const [search, setSearch] = useSearchParams();
  const cursor = search.get('cursor');
  const go = (value: string | null) =>
    setSearch((previous) => {
      const next = new URLSearchParams(previous);
      if (value) next.set('cursor', value);
      else next.delete('cursor');
      return next;
    });
  if (!cursor && !nextCursor) return null;
  return (
    <Group justify="flex-end" mt="sm">
      {cursor && (
        <Button variant="default" size="xs" onClick={() => go(null)}>
          {messages.common.firstPage}
        </Button>
      )}
      {nextCursor && (
        <Button variant="default" size="xs" onClick={() => go(nextCursor)}>
          {messages.common.next}
        </Button>
      )}
    </Group>
  );
}

/** Sets or clears search parameters, keeping the others; a filter change goes back to the first page. */
export function useSearchFilters(): [URLSearchParams, (values: Record<string, string>) => void] {
  const [search, setSearch] = useSearchParams();
  const set = (values: Record<string, string>) =>
    setSearch(() => {
      // From the address bar, not the render's parameters: two changes before a re-render (two filters
      // chosen quickly) would otherwise lose the first. The router writes history at once.
      const next = new URLSearchParams(window.location.search);
      for (const [name, value] of Object.entries(values)) {
        if (value) next.set(name, value);
        else next.delete(name);
      }
      if (!('cursor' in values)) next.delete('cursor');
      return next;
    });
  return [search, set];
}
