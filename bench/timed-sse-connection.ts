import { connect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** Milliseconds on the wall clock with sub-millisecond resolution, comparable across the processes of this machine. */
export const now = () => performance.timeOrigin + performance.now();

export interface TimedSseConnection {
  /** Settles once the response's head is read: a 200 with a chunked body, or an error. */
  readonly opened: Promise<void>;
  readonly socket: Socket;
  /** The body's chunks read so far: one per write the server made to this stream, the `retry` included. */
  chunks(): number;
}

interface Arrival {
  readonly at: number;
  readonly bytes: Buffer;
}

/** The connections with bytes not yet decoded, decoded together after the poll phase that read them. */
const undecoded = new Set<() => void>();
const decodeArrivals = () => {
  for (const decode of undecoded) decode();
  undecoded.clear();
};

/**
 * One buffer every connection of this process reads into (`onread`): a read's bytes are copied out of it at
 * once, before the next read can reuse it.
 */
const readInto = Buffer.allocUnsafe(64 * 1024);

/**
 * A GET of an event stream over a plain TCP connection, each event handed on with the time its last bytes
 * reached this process. The socket reads into `readInto` and calls back directly (`onread`), without a
 * readable stream: the callback only stamps and copies the bytes. The head, the chunked framing and the
 * events are decoded after the poll phase that read them (`setImmediate`), so every connection whose bytes
 * came in the same wake-up is stamped before any is decoded. Through Node's HTTP client each chunk also
 * went through its parser and a readable stream first, and waited for the decoding of every chunk read
 * before it (decision 0106); through a readable stream, each read still took its `push`, its `data` event
 * and a `nextTick` (decision 0109).
 */
export function openTimedSseConnection(url: URL, headers: Record<string, string>, onEvent: (event: EventSourceMessage, at: number) => void): TimedSseConnection {
  const arrivals: Arrival[] = [];
  /** Keeps reading (true): the bytes are copied, so the buffer is free for the next read. */
  const arrived = (length: number, buffer: Uint8Array): boolean => {
    arrivals.push({ at: now(), bytes: Buffer.from(buffer.subarray(0, length)) });
    if (undecoded.size === 0) setImmediate(decodeArrivals);
    undecoded.add(decode);
    return true;
  };
  const socket = connect({ host: url.hostname, port: Number(url.port), onread: { buffer: readInto, callback: arrived } });
  let pending: Buffer = Buffer.alloc(0);
  let headRead = false;
  let arrivedAt = 0;
  let chunks = 0;
  const text = new StringDecoder('utf8');
  const parser = createParser({ onEvent: (event) => onEvent(event, arrivedAt) });
  let settle: { resolve: () => void; reject: (error: Error) => void } = { resolve: () => undefined, reject: () => undefined };
  const opened = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });

  /** Reads the head, then as many whole chunks as `pending` holds; false once the rest must wait for more bytes. */
  const decodeSome = (): boolean => {
    if (!headRead) {
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const [status = '', ...lines] = pending.subarray(0, end).toString('latin1').split('\r\n');
      pending = pending.subarray(end + 4);
      headRead = true;
      const chunked = lines.some((line) => /^transfer-encoding:\s*chunked$/i.test(line));
      if (!/^HTTP\/1\.1 200 /.test(status) || !chunked) {
        settle.reject(new Error(`GET ${url.pathname} answered ${status} (chunked: ${chunked})`));
        socket.destroy();
        return false;
      }
      settle.resolve();
      return true;
    }
    const sizeEnd = pending.indexOf('\r\n');
    if (sizeEnd < 0) return false;
    const sizeLine = pending.subarray(0, sizeEnd).toString('latin1');
    const size = Number.parseInt(sizeLine, 16);
    // A size that is not one would leave `pending` as it is, and the caller's loop would spin on it.
    if (!/^[0-9a-f]+$/i.test(sizeLine)) throw new Error(`GET ${url.pathname}: a chunk size that is not hexadecimal: ${JSON.stringify(sizeLine.slice(0, 40))}`);
    if (pending.length < sizeEnd + 2 + size + 2) return false;
    parser.feed(text.write(pending.subarray(sizeEnd + 2, sizeEnd + 2 + size)));
    chunks += 1;
    pending = pending.subarray(sizeEnd + 2 + size + 2);
    return true;
  };

  const decode = () => {
    for (const arrival of arrivals) {
      // An event is stamped with the arrival that completed it.
      arrivedAt = arrival.at;
      pending = pending.length === 0 ? arrival.bytes : Buffer.concat([pending, arrival.bytes]);
      while (decodeSome());
    }
    arrivals.length = 0;
  };

  socket.setNoDelay(true);
  socket.on('connect', () => {
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n${lines}\r\n`);
  });
  socket.on('error', (error) => settle.reject(error));
  socket.on('close', () => settle.reject(new Error(`GET ${url.pathname}: the connection closed before the head`)));
  return { opened, socket, chunks: () => chunks };
}
