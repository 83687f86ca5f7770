import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';

export interface StreamEvent {
  readonly event: 'change' | 'heartbeat' | 'reset';
  /** The stream position after this event: what the client sends back as Last-Event-ID. */
  readonly id: string;
  readonly data: unknown;
}

/** Where the hub writes one subscriber's events. */
export interface StreamSink {
  /**
   * Writes events formatted by `formatEvent` (a change sent to many subscribers is formatted once), as text
   * or, when the same events go to many streams, as one buffer encoded once for all of them.
   */
  send(formatted: string | Buffer): void;
  /**
   * Whether output sent earlier is still waiting for the client beyond the limit: a slow consumer. Asked
   * before each batch, so one batch is always written whole and a client that keeps up is never dropped
   * for the size of a burst.
   */
  backlogged(): boolean;
  /** Ends the stream; `abort` drops what is still buffered (a slow consumer) instead of flushing it. */
  close(abort?: boolean): void;
  onClose(listener: () => void): void;
}

/** What EventSource waits before it reconnects after the server ended a stream. */
const reconnectAfterMs = 1_000;

export function formatEvent(event: StreamEvent): string {
  return `event: ${event.event}\nid: ${event.id}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/**
 * Takes the response over from Fastify and writes server-sent events to it. Output the socket has not
 * taken yet piles up in Node's buffer; past `bufferBytes` the sink reports the client as backlogged, and
 * the hub drops it rather than let one client's backlog grow without bound (it resumes with Last-Event-ID).
 */
export function openSseStream(reply: FastifyReply, bufferBytes: number): StreamSink {
  reply.hijack();
  const response = reply.raw;
  // The headers every answer carries (the request id, the security headers) are among the reply's, which
  // a hijacked reply no longer sends by itself.
  response.writeHead(200, {
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
  response.write(`retry: ${reconnectAfterMs}\n\n`);
  let closed = false;
  response.on('close', () => {
    closed = true;
  });
  return {
    send(formatted) {
      if (!closed) response.write(formatted);
    },
    backlogged() {
      return response.writableLength > bufferBytes;
    },
    close(abort = false) {
      if (closed) return;
      closed = true;
      if (abort) response.destroy();
      else response.end();
    },
    onClose(listener) {
      response.on('close', listener);
    },
  };
}
