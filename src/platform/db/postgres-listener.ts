import pg from 'pg';

export interface ListenOptions {
  /** Called after the connection was lost and LISTEN is in place again: notifications may have been missed. */
  onReconnect?: () => void;
  /** The first wait before reconnecting; it doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * LISTEN on a dedicated connection that outlives a database restart: when the connection drops it
 * reconnects with backoff, listens again and calls `onReconnect`, since NOTIFYs sent meanwhile are gone.
 * Resolves once the first LISTEN is in place; the function it resolves to stops listening.
 */
export async function listenWithReconnect(
  connectionString: string,
  channel: string,
  onNotify: (payload: string) => void,
  options: ListenOptions = {},
): Promise<() => Promise<void>> {
  const firstRetryMs = options.retryMs ?? 100;
  const maxRetryMs = options.maxRetryMs ?? 5_000;
  let stopped = false;
  let client: pg.Client | null = null;
  let retryTimer: NodeJS.Timeout | null = null;

  const connect = async (): Promise<pg.Client> => {
    const next = new pg.Client({ connectionString, application_name: 'unitrain-listen' });
    // Listened to from the start: a server that ends the connection between connect and LISTEN (a restart)
    // emits 'error', which unheard would crash the process; the pending LISTEN rejects and the catch ends it.
    next.on('error', () => undefined);
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify(message.payload ?? '');
    });
    try {
      await next.connect();
      await next.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    return next;
  };

  const reconnect = (delayMs: number) => {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect().then(
        (next) => {
          if (stopped) {
            void next.end().catch(() => undefined);
            return;
          }
          watch(next);
          options.onReconnect?.();
        },
        () => reconnect(Math.min(delayMs * 2, maxRetryMs)),
      );
    }, delayMs);
  };

  const watch = (connected: pg.Client) => {
    client = connected;
    const lost = () => {
      if (client !== connected) return;
      client = null;
      void connected.end().catch(() => undefined);
      reconnect(firstRetryMs);
    };
    connected.on('error', lost);
    connected.on('end', lost);
  };

  watch(await connect());
  return async () => {
    stopped = true;
    if (retryTimer) clearTimeout(retryTimer);
    const last = client;
    client = null;
    await last?.end().catch(() => undefined);
  };
}
