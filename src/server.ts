import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import type { Db } from './platform/db/database.js';
import { embeddedDatabaseDir, openDatabase } from './platform/db/open-database.js';
import { type MigrationFile, readMigrationFiles } from './platform/db/migrations/migration-files.js';
import { historyProblems, migrateUp, migrationStatus } from './platform/db/migrations/migrator.js';
import { AppError } from './errors.js';
import type { Dispatcher } from './platform/jobs/index.js';
import type { ensureInitialAdministrator } from './domains/users/index.js';
import { createFieldCipher } from './platform/security/field-cipher.js';
import { type Keyring, loadKeyring } from './platform/security/keyring.js';
import type { Logger } from './platform/shared/logger.js';
import { stopOnSignal } from './platform/shared/stop-on-signal.js';
import { StartupError } from './startup-error.js';

/**
 * The embedded database belongs to this process, so it is always brought up to date. A server
 * database is shared: it is migrated only when asked, otherwise a pending migration stops the start.
 */
export async function prepareSchema(db: Db, migrations: MigrationFile[], config: Config, migrateRequested: boolean, logger: Logger): Promise<void> {
  if (db.engine === 'pglite' || migrateRequested || config.migrateOnStart) {
    const run = await migrateUp(db, { source: migrations, onMigrated: (m) => logger.info({ migration: m.id, durationMs: m.durationMs }, 'migration applied') });
    if (run.planned.length > 0) logger.info({ applied: run.planned.length }, 'database schema is current');
    return;
  }
  const states = await migrationStatus(db, migrations);
  const problems = historyProblems(states);
  const pending = states.filter((s) => s.state === 'pending').map((s) => s.id);
  if (problems.length > 0) throw new StartupError(problems.join('; '));
  if (pending.length > 0) {
    throw new StartupError(
      `the database has ${pending.length} pending migration(s) (${pending.join(', ')}): run \`npx unitrain migrate up\`, or start with --migrate or MIGRATE_ON_START=true`,
    );
  }
}

/** Printed once, to the terminal only (never through the logger): the password is a secret. */
function printInitialAdministrator(admin: { email: string; password: string }): void {
  const lines = [
    'A system administrator account was created for this new database.',
    '',
    `  e-mail:    ${admin.email}`,
    `  password:  ${admin.password}`,
    '',
    'This password is shown only now. Sign in and change it.',
  ];
  const width = Math.max(...lines.map((line) => line.length));
  const border = `+${'-'.repeat(width + 2)}+`;
  process.stdout.write(`${[border, ...lines.map((line) => `| ${line.padEnd(width)} |`), border].join('\n')}\n`);
}

async function createInitialAdministrator(ensure: typeof ensureInitialAdministrator, db: Db, keyring: Keyring, email: string): Promise<void> {
  try {
    const admin = await ensure({ db, cipher: createFieldCipher(keyring) }, email);
    if (admin) printInitialAdministrator(admin);
  } catch (error) {
    if (error instanceof AppError && error.code === 'EMAIL_TAKEN') {
      throw new StartupError('INITIAL_ADMIN_EMAIL belongs to an existing account that is not a system administrator: choose another address');
    }
    throw error;
  }
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * What `serve` needs beyond opening the database and its schema: Fastify and the routes, the job handlers
 * and the dispatcher (most of what a start loads). Imported while the database opens, which spends part
 * of its time waiting (PGlite for its WebAssembly to compile and its files to be read; PostgreSQL for
 * connections): the two overlap instead of following each other (decision 0087).
 */
async function loadServing() {
  const [{ buildApp }, { createJobHandlers, createScheduledJobs }, { createWorker }, { ensureInitialAdministrator }] = await Promise.all([
    import('./app.js'),
    import('./job-handlers.js'),
    import('./platform/jobs/index.js'),
    import('./domains/users/index.js'),
  ]);
  return { buildApp, createJobHandlers, createScheduledJobs, createWorker, ensureInitialAdministrator };
}

/**
 * Starts the server; `onListening` gets it before its URL is announced: a caller may signal the process
 * as soon as it sees the URL.
 */
export async function startServer(config: Config, logger: Logger, options: { migrate: boolean; onListening: (server: RunningServer) => void }): Promise<void> {
  // Refuses a server database without shared keys, and generates the embedded mode's keys on first start.
  const keyring = await loadKeyring(config);
  const opening = openDatabase(config, logger);
  const loading = Promise.all([loadServing(), readMigrationFiles()]);
  // The throwaway password hash the app awaits before it listens (decision 0099): argon2 makes it on libuv's
  // threads, so made now it overlaps PGlite's start on this one instead of following buildApp. A failure
  // surfaces where it is awaited, as before.
  void import('./platform/security/passwords.js').then(({ prepareDummyHash }) => prepareDummyHash()).catch(() => undefined);
  // Awaited below once the database is open; a failure to open is the one reported, this one must not go unhandled.
  loading.catch(() => undefined);
  const db = await opening;
  // What the start opened so far, closed in reverse when a later step fails; `close` is also the stop of a server that started.
  let redis: Redis | null = null;
  let app: FastifyInstance | null = null;
  let worker: Dispatcher | null = null;
  // Once: a signal's stop (registered at listen) and a failed step after listen may both ask for it.
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // app.close() stops accepting connections and waits for requests in flight before it resolves.
      await app?.close();
      // The job in hand finishes; the rest of its batch goes back to the queue.
      await worker?.stop();
      await redis?.quit().catch(() => undefined);
      await db.close();
    })());
  let url: string | null = null;
  try {
    const [{ buildApp, createJobHandlers, createScheduledJobs, createWorker, ensureInitialAdministrator }, migrations] = await loading;
    await prepareSchema(db, migrations, config, options.migrate, logger);
    await createInitialAdministrator(ensureInitialAdministrator, db, keyring, config.initialAdminEmail);
    // ioredis is loaded only by a process configured with Redis (decision 0050).
    redis = config.redisUrl ? (await import('./platform/cache/redis-client.js')).createRedisClient(config.redisUrl) : null;
    app = await buildApp({ db, logger, redis, migrations, keyring, auth: config.auth, stream: config.stream, publicUrl: config.publicUrl, cache: config.cache });
    const { signal } = app.realtime;
    worker = config.worker.inProcess
      ? createWorker(db, config, createJobHandlers({ cipher: createFieldCipher(keyring), mail: config.mail, logger, publicUrl: config.publicUrl ?? `http://${config.host}:${config.port}` }), logger, createScheduledJobs(config.schedules))
      : null;
    if (worker) {
      const started = worker;
      // Commits of this process (the Db signals each) and, through LISTEN, of other processes wake the worker
      // at once instead of at its next poll.
      // Listening starts before the URL is announced: a caller may signal the process as soon as it sees it.
      signal.onSignal(() => started.wake());
      await signal.listen();
    }
    url = await app.listen({ host: config.host, port: config.port });
    options.onListening({ url, close });
    const where = db.engine === 'pglite' ? `embedded database in ${embeddedDatabaseDir(config.dataDir)}` : 'PostgreSQL server';
    // Behind a proxy or TLS terminator, clients use PUBLIC_URL: the links printed are theirs.
    const base = config.publicUrl ?? url;
    const reached = config.publicUrl ? `, reached at ${config.publicUrl}` : '';
    logger.info({ url, publicUrl: config.publicUrl, docs: `${base}/docs` }, `Unitrain is listening at ${url} (${where})${reached}; API docs at ${base}/docs`);
    // The first round (and the prune at start) waits one poll interval, or the first commit's wake-up: its
    // cold first queries would otherwise hold PGlite's one connection while /ready and the first requests
    // wait. /ready says the database answers and its schema is current, not that a round has run. A job due
    // at start waits at most that interval longer, as a job queued without a wake-up does (decision 0099).
    worker?.start({ firstRoundAfterMs: config.worker.pollMs });
  } catch (error) {
    if (url === null) {
      await close();
      // The one start failure a person fixes with a variable: one line, not Node's stack.
      if ((error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE') {
        throw new StartupError(`port ${config.port} on ${config.host} is in use by another process: stop it, or set PORT to a free port`, { cause: error });
      }
      throw error;
    }
    // Past listen, the port is bound and the dispatcher may run: left open, they would keep the process alive.
    try {
      logger.error({ err: error, url }, 'a step after the server began listening failed: closing the server and the database');
    } finally {
      // Also when the log line itself failed (its pipe is gone): the CLI's line on stderr still says why.
      await close();
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new StartupError(`a step after the server began listening at ${url} failed (${reason}): the server and the database are closed`, { cause: error });
  }
}

/** Runs until SIGTERM, SIGINT or SIGHUP, then shuts down gracefully and exits 0 (1 if shutdown overran its deadline). */
export async function serveUntilSignalled(config: Config, logger: Logger, options: { migrate: boolean }): Promise<void> {
  await startServer(config, logger, {
    ...options,
    onListening: (server) =>
      stopOnSignal(logger, { deadlineMs: config.shutdownTimeoutMs, stoppingMessage: 'shutting down: finishing requests in flight' }, async () => {
        await server.close();
        logger.info('stopped');
      }),
  });
}
