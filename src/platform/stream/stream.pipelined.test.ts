import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createEnrollmentWorld, createSession } from '../../../test/world.js';
import { useListeningApp } from '../../../test/listening-app.js';
import { mintAccessToken, testKeyring } from '../../../test/auth.js';
import { until } from '../../../test/until.js';

// Two `GET /v1/stream` sent back to back on one keep-alive connection (HTTP/1.1 pipelining). HTTP answers
// them in order, so the second stream's response can only begin once the first has ended, and a stream
// ends only when the server ends it (here: its access token expires) or the client closes the connection
// (which ends both). What must happen: the first stream is a whole chunked response, ended by its last
// chunk; the second then follows on the same connection, head first, and holds every change committed
// since it was requested, those that came while it waited behind the first included, each exactly once.
const context = useListeningApp(true);
const sockets: Socket[] = [];

afterAll(() => {
  for (const socket of sockets) socket.destroy();
});

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
  /** The last chunk came: the response is over and the connection goes on to the next. */
  ended: boolean;
}

interface RawEvent {
  event: string;
  id: string;
  data: Record<string, unknown>;
}

/** Reads the responses on one connection: heads, then chunked bodies, one after the other. */
function readResponses(socket: Socket) {
  const responses: RawResponse[] = [];
  let pending = '';
  const parse = () => {
    for (;;) {
      const current = responses.at(-1);
      if (!current || current.ended) {
        const headEnd = pending.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const [statusLine = '', ...lines] = pending.slice(0, headEnd).split('\r\n');
        pending = pending.slice(headEnd + 4);
        const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
        responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: '', ended: false });
        continue;
      }
      expect(current.headers.get('transfer-encoding')).toBe('chunked');
      const sizeEnd = pending.indexOf('\r\n');
      if (sizeEnd < 0) return;
      const size = Number.parseInt(pending.slice(0, sizeEnd), 16);
      if (pending.length < sizeEnd + 2 + size + 2) return;
      current.body += pending.slice(sizeEnd + 2, sizeEnd + 2 + size);
      expect(pending.slice(sizeEnd + 2 + size, sizeEnd + 2 + size + 2)).toBe('\r\n');
      pending = pending.slice(sizeEnd + 2 + size + 2);
      if (size === 0) current.ended = true;
    }
  };
  // One character a byte, so that a chunk's length in bytes is its length here.
  socket.setEncoding('latin1');
  socket.on('data', (text: string) => {
    pending += text;
    parse();
  });
  return responses;
}

function eventsOf(response: RawResponse | undefined): RawEvent[] {
  if (!response) return [];
  return response.body.split('\n\n').filter((block) => block.startsWith('event: ')).map((block) => {
    const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
    return { event: field('event'), id: field('id'), data: JSON.parse(field('data')) as Record<string, unknown> };
  });
}

const changesTo = (response: RawResponse | undefined, rowId: string) => eventsOf(response).filter((event) => event.event === 'change' && event.data['id'] === rowId);

async function subscribersNow(): Promise<number> {
  const text = await (await fetch(`${context.baseUrl}/metrics`)).text();
  return Number(/^unitrain_stream_subscribers (\d+)$/m.exec(text)?.[1] ?? 'NaN');
}

describe('two streams pipelined on one connection', () => {
  it('answers the second once the server has ended the first, with every change since it was asked for, once', async () => {
    const world = await createEnrollmentWorld(context.db);
    // The first stream ends when its token expires; the second's lasts.
    const brief = await mintAccessToken(testKeyring, { userId: world.sa.id, role: 'SA' }, { ttlSeconds: 3 });
    const { hostname: host, port } = new URL(context.baseUrl);
    const socket = connect({ host, port: Number(port) });
    sockets.push(socket);
    const responses = readResponses(socket);
    const waitUntil = (done: () => boolean, what: string) => until(done, `${what}; received ${JSON.stringify(responses)}`, { timeoutMs: 15_000 });
    const request = (token: string) =>
      `GET /v1/stream?topics=sessions HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${token}\r\n\r\n`;
    socket.write(request(brief) + request(world.tokens.sa));

    await waitUntil(() => responses.length >= 1, 'the first stream');
    expect(responses[0]?.status).toBe(200);
    expect(responses[0]?.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // Node hands the second request to the server as soon as it is read: its stream is attached, and
    // its response waits behind the first. (A machine slower than the first token's life sees it end
    // first: then the rest still holds, only this moment passed unseen.)
    await vi.waitFor(async () => expect(responses[0]?.ended === true || (await subscribersNow()) === 2).toBe(true), { timeout: 15_000, interval: 50 });
    if (!responses[0]?.ended) expect(responses).toHaveLength(1);

    const whileWaiting = await createSession(context.db, world, { capacity: 5 });
    await waitUntil(() => responses.length === 2 && changesTo(responses[1], whileWaiting).length > 0, 'the second stream, after the first ended');
    const [first, second] = responses as [RawResponse, RawResponse];
    expect(first.ended).toBe(true);
    // The first got the change if its token had not expired yet; never twice.
    expect(changesTo(first, whileWaiting).length).toBeLessThanOrEqual(1);
    expect(second.status).toBe(200);
    expect(second.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(second.body.startsWith('retry: 1000\n\n')).toBe(true);

    const afterwards = await createSession(context.db, world, { capacity: 6 });
    await waitUntil(() => changesTo(second, afterwards).length > 0, 'a change after the first stream ended');
    expect(changesTo(second, whileWaiting)).toHaveLength(1);
    expect(changesTo(second, afterwards)).toHaveLength(1);
    const ids = eventsOf(second).filter((event) => event.event === 'change').map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(second.ended).toBe(false);

    // Closing the connection ends the second stream on the server too.
    socket.destroy();
    await vi.waitFor(async () => expect(await subscribersNow()).toBe(0), { timeout: 15_000, interval: 50 });
  });
});
