import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createEnrollmentWorld, createSession } from '../../../test/world.js';
import { useListeningApp } from '../../../test/listening-app.js';
import { until } from '../../../test/until.js';

// An HTTP/1.0 client cannot read chunked bodies: its stream is the events as they are, until the server
// closes the connection. The hub's writes go to the socket as chunks it frames itself only on chunked
// responses (decision 0106); this one must get the bytes without framing.
const context = useListeningApp(true);
const sockets: Socket[] = [];

afterAll(() => {
  for (const socket of sockets) socket.destroy();
});

describe('a stream requested over HTTP/1.0', () => {
  it('gets its events without chunk framing, a live change included', async () => {
    const world = await createEnrollmentWorld(context.db);
    const { hostname: host, port } = new URL(context.baseUrl);
    const socket = connect({ host, port: Number(port) });
    sockets.push(socket);
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      received += text;
    });
    socket.write(`GET /v1/stream?topics=sessions HTTP/1.0\r\nHost: ${host}\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${world.tokens.sa}\r\n\r\n`);
    await until(() => received.includes('retry: 1000\n\n'), `the stream's head; received ${received}`, { timeoutMs: 15_000 });

    const session = await createSession(context.db, world, { capacity: 5 });
    await until(() => received.includes(`"id":"${session}"`), `the change; received ${received}`, { timeoutMs: 15_000 });
    const headEnd = received.indexOf('\r\n\r\n');
    const head = received.slice(0, headEnd).toLowerCase();
    expect(head).toMatch(/^http\/1\.[01] 200/);
    expect(head).not.toContain('transfer-encoding');
    const body = received.slice(headEnd + 4);
    // Every block is an event or the retry line: no chunk sizes between them.
    const blocks = body.split('\n\n').filter((block) => block !== '');
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) expect(block).toMatch(/^(retry: 1000|event: (change|heartbeat)\nid: )/);
  });
});
