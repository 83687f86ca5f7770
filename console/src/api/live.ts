import type { QueryClient, QueryKey } from '@tanstack/react-query';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { accessTokenNow, refreshTokens } from './session.ts';

/**
 * Which cached queries show rows of each captured table (the stream's `change` names the table and the
 * row). A query key starts with the name of what it lists: ['sessions', …], ['enrollments', …].
 */
const queriesOfTable: Record<string, string[]> = {
  training_sessions: ['sessions', 'calendar'],
  session_enrollments: ['enrollments', 'sessions', 'my-enrollments', 'calendar'],
  courses: ['courses', 'catalogue'],
  course_schedules: ['schedules'],
  locations: ['locations'],
  users: ['users'],
  profiles: ['users'],
  certificates: ['certificates'],
  certificate_batches: ['certificate-batches', 'certificates'],
  rosters: ['rosters'],
  student_roster_members: ['rosters'],
};

export interface StreamChange {
  table: string;
  id: string;
  op: string;
}

export interface LiveStatus {
  connected: boolean;
  /** Milliseconds since the page loaded (performance.now) when the last change arrived: the e2e run reads it. */
  lastChangeAt: number | null;
}

/**
 * Keeps one stream open while signed in: changes invalidate the queries that show them (TanStack Query
 * refetches what is on screen), a `reset` refetches everything, a drop reconnects with Last-Event-ID so
 * nothing is missed. fetch rather than EventSource: it sends the Authorization header and lets an expired
 * token be refreshed before reconnecting (the server ends a stream when its token expires).
 */
export function openLiveUpdates(queryClient: QueryClient, onStatus: (status: LiveStatus) => void): () => void {
  const abort = new AbortController();
  let lastEventId: string | null = null;
  let lastChangeAt: number | null = null;

  const invalidate = (change: StreamChange) => {
    const roots = queriesOfTable[change.table] ?? [];
    for (const root of roots) void queryClient.invalidateQueries({ queryKey: [root] satisfies QueryKey });
  };

  const connectOnce = async () => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    const token = accessTokenNow();
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const response = await fetch('/v1/stream', { headers, signal: abort.signal, cache: 'no-store' });
    if (response.status === 401) {
      await response.body?.cancel();
      if (!(await refreshTokens())) throw new Error('signed out');
      return;
    }
    if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
    onStatus({ connected: true, lastChangeAt });
    // A reader loop, not for-await: Safari's streams are not async-iterable.
    const events = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
    for (;;) {
      const { value: event, done } = await events.read();
      if (done) break;
      if (event.id) lastEventId = event.id;
      if (event.event === 'change') {
        lastChangeAt = performance.now();
        invalidate(JSON.parse(event.data) as StreamChange);
        onStatus({ connected: true, lastChangeAt });
      } else if (event.event === 'reset') {
        void queryClient.invalidateQueries();
      }
    }
  };

  void (async () => {
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        await connectOnce();
        failures = 0;
      } catch (error) {
        if (abort.signal.aborted || (error instanceof Error && error.message === 'signed out')) return;
        failures += 1;
      }
      onStatus({ connected: false, lastChangeAt });
      // Back off on repeated failures (a restarting server), at most 10 s.
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** Math.min(failures, 5))));
    }
  })();
  return () => abort.abort();
}
