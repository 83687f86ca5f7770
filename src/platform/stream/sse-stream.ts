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

const chunkEnd = Buffer.from('\r\n');
/** A buffer the hub writes to many streams, framed as an HTTP/1.1 chunk once for all of them. */
const chunks = new WeakMap<Buffer, Buffer>();
function chunkOf(events: Buffer): Buffer {
  let chunk = chunks.get(events);
  if (chunk === undefined) {
    chunk = Buffer.concat([Buffer.from(`${events.length.toString(16)}\r\n`, 'latin1'), events, chunkEnd]);
    chunks.set(events, chunk);
  }
  return chunk;
}

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
      if (closed) return;
      // A round's buffer goes to the socket as a chunk framed once for every stream it is written to: one
      // write system call, without the response's cork, its nextTick uncork and the writev of the length,
      // the events and the CRLF it makes of each write (decision 0106). Only once the socket is this
      // response's (a pipelined response has none until those before it end, and holds its head and
      // `retry` until then: 0076) and the response is chunked (an HTTP/1.0 client gets the bytes as they
      // are, through the response). Whatever the response wrote before is in the socket's queue already,
      // so the order holds; its last chunk (`end()`) follows the same way.
      const socket = response.socket;
      if (Buffer.isBuffer(formatted) && socket !== null && response.chunkedEncoding && socket.writable) socket.write(chunkOf(formatted));
      else response.write(formatted);
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
