import { createParser } from 'eventsource-parser';
import { accessTokenCookie } from '../src/platform/http/authenticate.js';

export interface SseEvent {
  event: string;
  id: string;
  data: Record<string, unknown>;
}

export interface StreamOptions {
  token: string;
  topics?: string;
  lastEventId?: string;
  since?: string;
  /** How the token travels: the Authorization header (default), `?access_token=`, or the cookie. */
  tokenVia?: 'header' | 'query' | 'cookie';
}

export interface SseConnection {
  status: number;
  /** The JSON error body when the stream was refused. */
  error: Record<string, unknown> | null;
  events: SseEvent[];
  /** The `change` events received so far (the client's own list: read it, do not change it). */
  changes(): readonly SseEvent[];
  /** The id of the last event received (what EventSource would send as Last-Event-ID). */
  lastId(): string | null;
  /** Resolves once `done()` holds, checked after each chunk read; rejects after `timeoutMs`. */
  waitUntil(done: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A real SSE client over fetch (what a browser's EventSource does, with control over reconnects). */
export async function openStream(baseUrl: string, options: StreamOptions): Promise<SseConnection> {
  const query = new URLSearchParams();
  if (options.topics !== undefined) query.set('topics', options.topics);
  if (options.since !== undefined) query.set('since', options.since);
  const via = options.tokenVia ?? 'header';
  if (via === 'query') query.set('access_token', options.token);
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (via === 'header') headers['authorization'] = `Bearer ${options.token}`;
  if (via === 'cookie') headers['cookie'] = `${accessTokenCookie}=${options.token}`;
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/v1/stream?${query}`, { headers, signal: abort.signal });
  const events: SseEvent[] = [];
  const changeEvents: SseEvent[] = [];
  const waiters = new Set<() => void>();
  const connection: SseConnection = {
    status: response.status,
    error: null,
    events,
    changes: () => changeEvents,
    lastId: () => events.at(-1)?.id ?? null,
    waitUntil(done, timeoutMs = 15_000, what = 'the expected events') {
      return new Promise<void>((resolve, reject) => {
        if (done()) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(events.slice(-5))}`));
        }, timeoutMs);
        const check = () => {
          if (!done()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    ended: Promise.resolve(),
    close: () => abort.abort(),
  };
  if (response.status !== 200 || !response.body) {
    connection.error = (await response.json()) as Record<string, unknown>;
    return connection;
  }
  const parser = createParser({
    onEvent(message) {
      const event = { event: message.event ?? 'message', id: message.id ?? '', data: JSON.parse(message.data) as Record<string, unknown> };
      events.push(event);
      if (event.event === 'change') changeEvents.push(event);
    },
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  connection.ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(value);
        // Once per chunk, not per event: a check that reads every event so far would make a long stream quadratic.
        for (const check of [...waiters]) check();
      }
    } catch {
      // Aborted by close(), or the server dropped the connection.
    }
  })();
  return connection;
}
