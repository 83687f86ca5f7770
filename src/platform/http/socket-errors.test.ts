import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/auth.js';
import { useTestDatabase } from '../../../test/database.js';
import { until } from '../../../test/until.js';
import { createLogger } from '../shared/logger.js';

// Socket errors (EPIPE, ECONNRESET) that are not the database's, on a real server and a real socket: only
// an error of a database connection says the database is unavailable (503, logged as such).
const database = useTestDatabase();
const lines: Array<{ level: number; msg: string; res?: { statusCode: number }; err?: { code?: string } }> = [];
let app: FastifyInstance;
let baseUrl: string;

beforeAll(async () => {
  const logger = createLogger({ logLevel: 'debug', logFormat: 'json' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  app = await buildTestApp(database.db, { logger });
  // Handlers that write more than a pipe holds to a child process that closed its end: a real EPIPE; the
  // second once its client has hung up after a whole request.
  app.get('/test/child-pipe', async () => {
    await writeToClosedChildPipe();
    return {};
  });
  app.get('/test/child-pipe-after-hang-up', async (_request, reply) => {
    await new Promise((resolve) => reply.raw.once('close', resolve));
    await writeToClosedChildPipe();
    return {};
  });
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});
async function writeToClosedChildPipe(): Promise<void> {
  const child = spawn(process.execPath, ['-e', 'fs.closeSync(0); setTimeout(() => {}, 60_000)'], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => child.stdin.write('x'.repeat(1 << 20), (error) => (error ? reject(error) : resolve())));
  } finally {
    child.kill();
  }
}

afterAll(async () => {
  await app?.close();
});

/** Writes `request` on a socket of its own, waits until the server has logged it arriving, then hangs up. */
async function sendThenHangUp(request: string): Promise<void> {
  const { port } = new URL(baseUrl);
  const from = lines.length;
  const socket = connect(Number(port), '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.on('connect', resolve));
  socket.write(request);
  await until(() => lines.slice(from).some((line) => line.msg === 'incoming request'), 'the request to arrive');
  socket.destroy();
}

const databaseOutage = (line: (typeof lines)[number]) => /database is not available/.test(line.msg);

describe('socket errors that are not the database', () => {
  it('a client that hangs up in the middle of its body is not a database outage, nor logged as an error', async () => {
    const from = lines.length;
    await sendThenHangUp('POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":');
    // What the server makes of it: on any outcome, one line after the request's own.
    await until(() => lines.slice(from).length >= 2, 'the server to log what it made of the hang-up');
    const logged = lines.slice(from);
    expect(logged.filter(databaseOutage)).toEqual([]);
    expect(logged.filter((line) => line.level >= 50)).toEqual([]);
    expect(logged).toContainEqual(expect.objectContaining({ level: 30, msg: 'the client closed the connection before the request arrived whole', err: expect.objectContaining({ code: 'ECONNRESET' }) }));
  });

  it('an EPIPE from a pipe to a child process is a bug: 500 INTERNAL with the request id, logged as unhandled', async () => {
    const from = lines.length;
    const response = await fetch(`${baseUrl}/test/child-pipe`);
    const body = (await response.json()) as { error: { code: string; details: { requestId: string } } };
    expect(response.status).toBe(500);
    expect(body.error).toMatchObject({ code: 'INTERNAL', details: { requestId: expect.any(String) } });
    const logged = lines.slice(from);
    expect(logged.filter(databaseOutage)).toEqual([]);
    expect(logged).toContainEqual(expect.objectContaining({ level: 50, msg: 'unhandled error', err: expect.objectContaining({ code: 'EPIPE' }) }));
  });

  it('an EPIPE from a pipe after the client hung up is still a bug, logged as unhandled', async () => {
    const from = lines.length;
    await sendThenHangUp('GET /test/child-pipe-after-hang-up HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await until(() => lines.slice(from).some((line) => line.err?.code === 'EPIPE'), 'the server to log the EPIPE');
    const logged = lines.slice(from);
    expect(logged.filter(databaseOutage)).toEqual([]);
    expect(logged).toContainEqual(expect.objectContaining({ level: 50, msg: 'unhandled error', err: expect.objectContaining({ code: 'EPIPE' }) }));
  });
});
