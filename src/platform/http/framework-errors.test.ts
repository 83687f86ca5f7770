import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useListeningApp } from '../../../test/listening-app.js';

// What a client can send that never reaches a route, over a real socket (inject would not go through
// Node's HTTP parser): every answer is the one error shape, `{"error":{"code","message"}}`.
const context = useListeningApp(true);

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** Writes `request` as it is to the server and reads the whole answer (the server closes after errors). */
function sendRaw(request: string | Buffer): Promise<RawAnswer> {
  const { port } = new URL(context.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A keep-alive answer is complete once its Content-Length has arrived.
      const text = Buffer.concat(chunks).toString();
      const split = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, split))?.[1];
      if (split >= 0 && length !== undefined && Buffer.byteLength(text.slice(split + 4)) >= Number(length)) socket.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString();
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), headers: text.slice(0, split), body: text.slice(split + 4) });
    });
    socket.write(request);
  });
}

function expectErrorShape(answer: RawAnswer, status: number, code: string): void {
  expect(answer.status, answer.body).toBe(status);
  expect(answer.headers).toMatch(/\r\ncontent-type: application\/json; charset=utf-8/i);
  const body = JSON.parse(answer.body) as { error: { code: string; message: string } };
  expect(body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
}

describe('errors the framework raises before a route runs', () => {
  it('a 100 kB URL answers 431 HEADERS_TOO_LARGE', async () => {
    expectErrorShape(await sendRaw(`GET /v1/catalogue?q=${'x'.repeat(100_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`), 431, 'HEADERS_TOO_LARGE');
  });

  it('a 100 kB header answers 431 HEADERS_TOO_LARGE', async () => {
    expectErrorShape(await sendRaw(`GET /v1/catalogue HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'x'.repeat(100_000)}\r\n\r\n`), 431, 'HEADERS_TOO_LARGE');
  });

  it('a request line that is not HTTP, or a method Node does not know, answers 400 MALFORMED_REQUEST', async () => {
    expectErrorShape(await sendRaw('this is not http\r\n\r\n'), 400, 'MALFORMED_REQUEST');
    expectErrorShape(await sendRaw('FROBNICATE /v1/catalogue HTTP/1.1\r\nHost: localhost\r\n\r\n'), 400, 'MALFORMED_REQUEST');
  });

  it('a URL that is not valid percent-encoding answers 400 VALIDATION_FAILED naming the URL', async () => {
    const answer = await sendRaw('GET /v1/catalogue/%ff HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expectErrorShape(answer, 400, 'VALIDATION_FAILED');
    expect(JSON.parse(answer.body)).toMatchObject({ error: { details: { field: 'url' } } });
  });

  it('a body of a media type no route takes answers 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const body = 'email=a@b.c';
    expectErrorShape(
      await sendRaw(`POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: text/x-unknown\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('a CSV or a form sent to a route that takes no file answers 415 UNSUPPORTED_MEDIA_TYPE (only file routes parse them)', async () => {
    const csv = 'email\na@b.c\n';
    expectErrorShape(
      await sendRaw(`POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: text/csv\r\nContent-Length: ${csv.length}\r\n\r\n${csv}`),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    const form = '--b\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.c\r\n--b--\r\n';
    expectErrorShape(
      await sendRaw(`POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${form.length}\r\n\r\n${form}`),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('a body over the limit answers 413 PAYLOAD_TOO_LARGE as soon as its Content-Length says so', async () => {
    expectErrorShape(
      await sendRaw(`POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${20 * 1024 * 1024}\r\n\r\n{`),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('JSON that does not parse answers 400 INVALID_JSON', async () => {
    const body = '{"email": ';
    expectErrorShape(
      await sendRaw(`POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
      400,
      'INVALID_JSON',
    );
  });

  it('a method no route has answers 404 ROUTE_NOT_FOUND', async () => {
    for (const method of ['PUT', 'TRACE', 'PROPFIND']) {
      expectErrorShape(await sendRaw(`${method} /v1/catalogue HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`), 404, 'ROUTE_NOT_FOUND');
    }
  });
});
