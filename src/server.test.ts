import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliPath, runCli, withMigratedEmbeddedDatabase } from '../test/cli.js';
import { createEmptyDatabase, type TestDatabase } from '../test/database.js';
import { testEngine, testKeysEnv } from '../test/engine.js';
import { startServerProcess } from '../test/server-process.js';
import { until } from '../test/until.js';

// Real processes: `unitrain serve` on an empty embedded data directory, or on an empty PostgreSQL database.
let dataDir: string;
let database: TestDatabase | null = null;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'unitrain-serve-'));
});

afterEach(async () => {
  await database?.drop();
  database = null;
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * Environment for a server on this run's engine; a server database is migrated by the --migrate flag.
 * `migrated`: an embedded data directory starts with the run's migrated database, for tests not about the first start.
 */
async function serverEnv(options: { migrated?: boolean } = {}): Promise<{ env: Record<string, string>; args: string[] }> {
  if (testEngine === 'pglite') return { env: { DATA_DIR: options.migrated ? await withMigratedEmbeddedDatabase(dataDir) : dataDir }, args: [] };
  database = await createEmptyDatabase();
  return { env: { DATA_DIR: dataDir, DATABASE_URL: database.url as string, ...testKeysEnv }, args: ['--migrate'] };
}

/** Sends a POST whose body arrives slowly, so the request is still in flight when the server is told to stop. */
function slowRequest(url: string): { sendRest: () => void; response: Promise<string> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const body = JSON.stringify({ padding: 'x'.repeat(64) });
  socket.write(`POST /v1/slow-upload HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  const response = new Promise<string>((resolve, reject) => {
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
  return { sendRest: () => socket.end(body.slice(10)), response };
}

describe('the server process', () => {
  it('starts on an empty database, applies the migrations, and answers /health and /ready', async () => {
    const { env, args } = await serverEnv();
    const server = await startServerProcess({ ...env, PUBLIC_URL: 'https://training.example.org' }, args);
    try {
      // The address it listens on, and the links as clients behind the proxy use them.
      expect(server.logs()).toMatch(/Unitrain is listening at http:\/\/127\.0\.0\.1:\d+ \([^)]+\), reached at https:\/\/training\.example\.org; API docs at https:\/\/training\.example\.org\/docs/);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      const ready = await fetch(`${server.url}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'READY' });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('on SIGTERM stops accepting, finishes the request in flight, closes the database and exits 0', async () => {
    const { env, args } = await serverEnv({ migrated: true });
    const server = await startServerProcess(env, args);
    const inFlight = slowRequest(server.url);
    // In flight once the server has read its headers (it logs each incoming request), not after a pause.
    await until(() => server.logs().includes('"path":"/v1/slow-upload"'), 'the server to read the slow request');
    server.child.kill('SIGTERM');
    // It stops accepting new connections while the slow request, its body half sent, is still open.
    await until(() => fetch(`${server.url}/health`).then(() => false, () => true), 'the server to refuse new connections');
    inFlight.sendRest();
    const raw = await inFlight.response;
    expect(raw).toMatch(/^HTTP\/1\.1 404/);
    expect(raw).toContain('"code":"ROUTE_NOT_FOUND"');
    expect(await server.stop()).toBe(0);
    expect(server.logs()).toContain('"msg":"stopped"');
  });

  it('exits at once with 143 on a second SIGTERM while a request in flight holds the shutdown, and starts again after it', async () => {
    const { env, args } = await serverEnv({ migrated: true });
    const server = await startServerProcess(env, args);
    const inFlight = slowRequest(server.url);
    await until(() => server.logs().includes('"path":"/v1/slow-upload"'), 'the server to read the slow request');
    server.child.kill('SIGTERM');
    await until(() => server.logs().includes('shutting down: finishing requests in flight'), 'the server to begin its shutdown');
    server.child.kill('SIGTERM');
    expect(await server.stop()).toBe(143);
    expect(server.logs()).toContain('second SIGTERM: exiting without finishing the shutdown');
    expect(await inFlight.response).toBe('');
    const restarted = await startServerProcess(env, args);
    expect((await fetch(`${restarted.url}/ready`)).status).toBe(200);
    expect(await restarted.stop()).toBe(0);
  });

  it('exits 1 when a request in flight holds the shutdown past SHUTDOWN_TIMEOUT_MS, and starts again after it', async () => {
    const { env, args } = await serverEnv({ migrated: true });
    const server = await startServerProcess({ ...env, SHUTDOWN_TIMEOUT_MS: '100' }, args);
    const inFlight = slowRequest(server.url);
    await until(() => server.logs().includes('"path":"/v1/slow-upload"'), 'the server to read the slow request');
    // The rest of the body never comes: only the deadline ends the shutdown.
    expect(await server.stop()).toBe(1);
    expect(server.logs()).toContain('shutdown overran its deadline: exiting without finishing it');
    expect(await inFlight.response).toBe('');
    const restarted = await startServerProcess(env, args);
    expect((await fetch(`${restarted.url}/ready`)).status).toBe(200);
    expect(await restarted.stop()).toBe(0);
  });

  it('loads the Swagger UI when /docs is first asked for, not at start (decision 0099)', async () => {
    const { env, args } = await serverEnv({ migrated: true });
    const reportLoaded = fileURLToPath(new URL('../test/fixtures/report-loaded-packages.mjs', import.meta.url));
    const reportFile = join(dataDir, 'loaded-packages.jsonl');
    const server = await startServerProcess({ ...env, NODE_OPTIONS: `--import ${reportLoaded}`, LOADED_PACKAGES_FILE: reportFile }, args);
    const reports: string[][] = [];
    const reportLines = async () => (await readFile(reportFile, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '');
    const loadedNow = async (): Promise<string[]> => {
      // Not child.kill(): it would mark the child killed, and stop() would then send no SIGTERM.
      process.kill(server.child.pid as number, 'SIGUSR2');
      await until(async () => (await reportLines()).length > reports.length, 'the server to report what it loaded');
      reports.push(JSON.parse((await reportLines())[reports.length] as string) as string[]);
      return reports.at(-1) as string[];
    };
    try {
      expect((await fetch(`${server.url}/docs/json`)).status).toBe(200);
      const atStart = await loadedNow();
      // Imported as the Swagger UI would be (a package the build keeps out of its bundle): a report that could
      // not see an import at start would prove nothing.
      expect(atStart).toContain('pino');
      expect(atStart).not.toContain('@fastify/swagger-ui');
      expect((await fetch(`${server.url}/docs`)).status).toBe(200);
      expect(await loadedNow()).toContain('@fastify/swagger-ui');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('exits 1 and closes the server and the database when a step after it began listening fails', async () => {
    const { env, args } = await serverEnv({ migrated: true });
    // Its log pipe breaks just after it began listening: the line announcing the URL is the step that fails.
    const breakLogPipe = fileURLToPath(new URL('../test/fixtures/log-pipe-breaks-after-listening.mjs', import.meta.url));
    const child = spawn(process.execPath, ['--import', breakLogPipe, cliPath, 'serve', ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PORT: '0', LOG_FORMAT: 'pretty', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null]>;
    // Generous: a deadline for an exit that will come, never a measure of how fast it came.
    const deadline = new Promise<['still running']>((resolve) => setTimeout(() => resolve(['still running']), 60_000).unref());
    try {
      const [code] = await Promise.race([exited, deadline]);
      expect(code, output).toBe(1);
      const port = Number(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
      expect(port).toBeGreaterThan(0);
      // On stderr: the log, whose pipe broke, takes no more lines.
      expect(output).toContain(`error: a step after the server began listening at http://127.0.0.1:${port} failed (EPIPE: broken pipe, write): the server and the database are closed`);
      // The port is free and the database was closed: a new server starts on the same data.
      const refused = await fetch(`http://127.0.0.1:${port}/health`).then(() => false, () => true);
      expect(refused).toBe(true);
      const restarted = await startServerProcess(env, args);
      expect((await fetch(`${restarted.url}/ready`)).status).toBe(200);
      expect(await restarted.stop()).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 1 with one line when its port is taken, and closes the database it opened', async () => {
    const { env, args } = await serverEnv({ migrated: true });
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const refused = await runCli(['serve', ...args], { ...env, HOST: '127.0.0.1', PORT: String(port) });
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr.trim()).toBe(`error: port ${port} on 127.0.0.1 is in use by another process: stop it, or set PORT to a free port`);
    } finally {
      taken.close();
    }
    // The database was closed: a server starts on the same data.
    const server = await startServerProcess(env, args);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    expect(await server.stop()).toBe(0);
  });

  it.runIf(testEngine === 'pglite')('refuses a second process on the same data directory', async () => {
    const server = await startServerProcess({ DATA_DIR: await withMigratedEmbeddedDatabase(dataDir) });
    try {
      const second = await runCli(['serve'], { DATA_DIR: dataDir, PORT: '0' });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('is in use by another Unitrain process');
    } finally {
      await server.stop();
    }
  });

  it.runIf(testEngine === 'postgres')('refuses to start on a server database with pending migrations unless told to apply them', async () => {
    database = await createEmptyDatabase();
    const refused = await runCli(['serve'], { DATA_DIR: dataDir, DATABASE_URL: database.url as string, PORT: '0', ...testKeysEnv });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/pending migration\(s\) \(0001_/);
    expect(refused.stderr).toContain('MIGRATE_ON_START=true');
    const server = await startServerProcess({ DATA_DIR: dataDir, DATABASE_URL: database.url as string, MIGRATE_ON_START: 'true', ...testKeysEnv });
    expect(await server.stop()).toBe(0);
  });

  it('stops at start with one line per invalid variable and exit code 1', async () => {
    const result = await runCli(['serve'], { DATA_DIR: dataDir, PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://user:secret@host/db' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'configuration error: PORT: "70000" is not valid; expected an integer from 0 to 65535',
      'configuration error: DATABASE_URL: the value given is not valid; expected a postgres:// or postgresql:// URL',
      'configuration error: LOG_LEVEL: "loud" is not valid; expected one of fatal, error, warn, info, debug, trace, silent',
    ]);
    expect(result.stderr).not.toContain('secret');
  });
});
