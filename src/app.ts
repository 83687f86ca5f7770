import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { createTwoLayerCache, type TwoLayerCache } from './platform/cache/two-layer-cache.js';
import type { AuthSettings, CacheSettings, StreamSettings } from './config.js';
import type { Db } from './platform/db/database.js';
import type { MigrationFile } from './platform/db/migrations/migration-files.js';
import { registerAuthentication } from './platform/http/authenticate.js';
import { registerConsoleAssets } from './platform/http/console-assets.js';
import { answerClientError, answerFrameworkError, registerErrorHandling } from './platform/http/error-handler.js';
import { registerOpenApi } from './platform/http/openapi.js';
import { registerRateLimits } from './platform/http/rate-limits.js';
import { sendCommitPosition } from './platform/http/read-your-writes.js';
import { requestLoggerOf } from './platform/http/request-logger.js';
import { createSignedInAccounts } from './platform/http/signed-in-accounts.js';
import { onFirstUseCompilers } from './platform/http/schema-compilers.js';
import { noStoreUnlessChosen, registerResponseHeaders } from './platform/http/response-headers.js';
import { registerCsvUploads } from './platform/shared/csv/csv-upload.js';
import { invitationsRoutes, passwordResetRoutes } from './domains/accounts/index.js';
import { auditRoutes } from './domains/audit/index.js';
import { authRoutes, findSignedInUser } from './domains/auth/index.js';
import { calendarRoutes } from './domains/calendar/index.js';
import { complianceRoutes } from './domains/compliance/index.js';
import { certificateBatchesRoutes, certificateCredentialsRoutes, certificatesRoutes, certificateTemplatesRoutes, createCredentialSigner, verifyDocumentRoutes } from './domains/certificates/index.js';
import { coursesRoutes } from './domains/courses/index.js';
import { dashboardRoutes } from './domains/dashboard/index.js';
import { enrollmentsRoutes } from './domains/enrollments/index.js';
import { eventsRoutes } from './platform/domain-events/index.js';
import { healthRoutes } from './platform/health/index.js';
import { instructorsRoutes } from './domains/instructors/index.js';
import { countJobsByStatus, jobsRoutes } from './platform/jobs/index.js';
import { locationsRoutes } from './domains/locations/index.js';
import { notificationsRoutes, notificationTemplatesRoutes } from './domains/notifications/index.js';
import { providersRoutes } from './domains/providers/index.js';
import { reportsRoutes } from './domains/reports/index.js';
import { createRealtime, type Realtime, streamRoutes } from './platform/stream/index.js';
import { rostersRoutes } from './domains/rosters/index.js';
import { schedulesRoutes } from './domains/schedules/index.js';
import { sessionsRoutes } from './domains/sessions/index.js';
import { teamsRoutes } from './domains/teams/index.js';
import { usersRoutes } from './domains/users/index.js';
import { createAccessTokens } from './platform/security/access-tokens.js';
import { createFieldCipher } from './platform/security/field-cipher.js';
import type { Keyring } from './platform/security/keyring.js';
import type { Logger } from './platform/shared/logger.js';
import { createMetrics } from './platform/shared/metrics.js';

export interface AppDeps {
  db: Db;
  logger: Logger;
  redis: Redis | null;
  /** The migrations this build expects (what /ready compares the database with). */
  migrations: MigrationFile[];
  keyring: Keyring;
  auth: AuthSettings;
  stream: StreamSettings;
  /** PUBLIC_URL: the base of every link the server prints; null uses the request's own protocol and host. */
  publicUrl: string | null;
  /** The clock invitation and password-reset expiries, the dashboard and compliance states are measured by; tests move it. Default: the system clock. */
  now?: () => Date;
  /**
   * Milliseconds on a monotonic clock, which bounds of elapsed time are measured by (how fresh the signed-in
   * accounts' feed is): apart from `now`, so that a test which fixes the business date does not stop them.
   * Tests move it. Default: performance.now.
   */
  monotonicNow?: () => number;
  /** The answer cache's sizes (decision 0038). Default: 10,000 entries, 300 s. */
  cache?: CacheSettings;
  /** The built console served at `/` (default console/dist); tests point it at a build of their own. */
  consoleDirectory?: string;
  /**
   * Compile every route's validators and serializers when the app is ready, as Fastify does by default,
   * instead of on each route's first use (decision 0050): a test proves with it that every schema compiles.
   */
  compileSchemasAtStart?: boolean;
}

const defaultCacheSettings: CacheSettings = { l1MaxEntries: 10_000, ttlSeconds: 300 };

declare module 'fastify' {
  interface FastifyInstance {
    /** This process's change feed, stream hub and commit signal (`serve` wakes its job worker with it too). */
    realtime: Realtime;
    /** The answer cache (L1 in process, L2 in Redis when configured), invalidated by the change feed. */
    answerCache: TwoLayerCache;
  }
}

const requestIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds the HTTP application from its dependencies; does no I/O of its own. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // A caller's request id is kept when it is well-formed, so logs can be followed across services.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    childLoggerFactory: requestLoggerOf,
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    ...(deps.compileSchemasAtStart ? {} : { schemaController: { compilersFactory: onFirstUseCompilers() } }),
    bodyLimit: 10 * 1024 * 1024,
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Hooks on every request take a callback, not a promise: one microtask less each (decision 0063); and
  // each kind is one hook where it can be, a step of the framework less (decision 0072).
  registerErrorHandling(app);
  await registerResponseHeaders(app, { publicUrl: deps.publicUrl });
  app.addHook('onSend', (request, reply, payload, done) => {
    noStoreUnlessChosen(reply);
    sendCommitPosition(request, reply);
    done(null, payload);
  });

  await registerOpenApi(app);
  const metrics = createMetrics();
  await app.register(healthRoutes, { db: deps.db, redis: deps.redis, migrations: deps.migrations, metrics: metrics.registry });

  const realtime = createRealtime(deps.db, deps.logger, metrics.realtime, deps.stream);
  app.decorate('realtime', realtime);
  // The cache reads the same change feed as the stream, and is told of each batch before the stream
  // sends it: a client that refetches on an event gets the new value (decision 0038).
  const cacheSettings = deps.cache ?? defaultCacheSettings;
  const cache = createTwoLayerCache(cacheSettings, {
    redis: deps.redis,
    metrics: metrics.cache,
    logger: deps.logger,
    feed: {
      async start() {
        await realtime.startFeed();
        // The position first, then the WAL position: every change before the one committed before the other.
        const { position } = realtime.hub.feed;
        const { rows: [named] } = await deps.db.query<{ database: string; wal_position: string }>(
          'select current_database() as database, pg_current_wal_insert_lsn()::text as wal_position',
        );
        return { position, walPosition: named?.wal_position ?? null, database: named?.database ?? 'unitrain' };
      },
      wake: () => realtime.hub.feed.wake(),
    },
    now: deps.monotonicNow ?? (() => performance.now()),
  });
  realtime.hub.feed.observe(cache.observer);
  // Accounts are read on the owner connection: there is no actor to run as until the read says who it is.
  // Kept in memory under the cache's settings, ended by the same feed (decision 0063).
  const signedInAccounts = createSignedInAccounts(
    { maxEntries: cacheSettings.l1MaxEntries, ttlSeconds: cacheSettings.ttlSeconds },
    {
      load: (userId) => findSignedInUser(deps.db, userId),
      startFeed: () => realtime.startFeed(),
      wakeFeed: () => realtime.hub.feed.wake(),
      reads: metrics.signedInAccountReads,
      logger: deps.logger,
      now: deps.monotonicNow ?? (() => performance.now()),
    },
  );
  realtime.hub.feed.observe(signedInAccounts.observer);
  const stopNotingCommits = deps.db.onCommit(() => cache.noteLocalCommit());
  // A commit that changed no account cannot change what an account's read answers (decision 0088).
  const stopNotingAccountCommits = deps.db.onCommit(() => signedInAccounts.noteLocalCommit(), { onlyAccountChanges: true });
  app.decorate('answerCache', cache);
  app.addHook('onClose', async () => {
    stopNotingCommits();
    stopNotingAccountCommits();
  });
  metrics.sources.pool = () => deps.db.poolStats();
  metrics.sources.jobs = () => countJobsByStatus(deps.db);
  metrics.sources.cacheSize = () => cache.size;
  metrics.sources.slowStatements = () => deps.db.queryLog.slowStatements();
  metrics.sources.reads = () => deps.db.readCounts();
  metrics.sources.replica = () => deps.db.replicaStatus();
  // Durations by route pattern (never the raw URL: ids would make a series per row).
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  const now = deps.now ?? (() => new Date());
  // Open streams never end by themselves: close them first, or closing the server would wait for them.
  app.addHook('preClose', async () => {
    await realtime.close();
  });

  const cipher = createFieldCipher(deps.keyring);
  const tokens = createAccessTokens(deps.keyring.tokenSigningKey, { ttlSeconds: deps.auth.accessTokenTtlSeconds });
  registerAuthentication(app, { tokens, findAccount: (userId) => signedInAccounts.find(userId) });
  registerRateLimits(app, { redis: deps.redis, publicPerMinute: deps.auth.publicRateLimitPerMinute, now: deps.monotonicNow ?? (() => performance.now()) });
  await app.register(authRoutes, { db: deps.db, cipher, cache, tokens, refreshTokenTtlDays: deps.auth.refreshTokenTtlDays });
  await app.register(usersRoutes, { db: deps.db, cipher });
  const accounts = { db: deps.db, cipher, publicUrl: deps.publicUrl, now };
  await app.register(invitationsRoutes, accounts);
  await app.register(passwordResetRoutes, accounts);
  for (const organisationRoutes of [providersRoutes, locationsRoutes, instructorsRoutes, teamsRoutes]) {
    await app.register(organisationRoutes, { db: deps.db, cipher, cache });
  }
  await app.register(auditRoutes, { db: deps.db });
  await app.register(eventsRoutes, { db: deps.db });
  await app.register(jobsRoutes, { db: deps.db });
  await app.register(notificationsRoutes, { db: deps.db });
  await app.register(notificationTemplatesRoutes, { db: deps.db });
  await app.register(calendarRoutes, { db: deps.db, publicUrl: deps.publicUrl });
  // The routes that take a file (a CSV list, a PDF to verify) each in a context of their own with the upload
  // parsers: the multipart plugin hooks every request of its context (an async onRequest and onResponse, for
  // files saved to disk, which no route does), so only these pay for it (decision 0081). Registered where
  // they were, so the OpenAPI document keeps its order.
  const takingFiles = (register: (scope: typeof app) => PromiseLike<unknown>) =>
    app.register(async (scope) => {
      await registerCsvUploads(scope);
      await register(scope);
    });
  await takingFiles((scope) => scope.register(enrollmentsRoutes, { db: deps.db, cipher, now }));
  await app.register(coursesRoutes, { db: deps.db, cipher, cache });
  await app.register(dashboardRoutes, { db: deps.db, cache, now });
  await app.register(reportsRoutes, { db: deps.db, cache });
  await app.register(complianceRoutes, { db: deps.db, now });
  await takingFiles((scope) => scope.register(rostersRoutes, { db: deps.db, cipher }));
  await app.register(sessionsRoutes, { db: deps.db });
  await app.register(schedulesRoutes, { db: deps.db, cipher });
  await app.register(certificatesRoutes, { db: deps.db, publicUrl: deps.publicUrl, cache, now });
  await app.register(certificateCredentialsRoutes, { db: deps.db, publicUrl: deps.publicUrl, cache, signer: createCredentialSigner(deps.keyring.credentialSigningKeys) });
  await takingFiles((scope) => scope.register(verifyDocumentRoutes, { db: deps.db }));
  await app.register(certificateTemplatesRoutes, { db: deps.db });
  await app.register(certificateBatchesRoutes, { db: deps.db, publicUrl: deps.publicUrl });
  await app.register(streamRoutes, { hub: realtime.hub, bufferBytes: deps.stream.bufferBytes });
  await registerConsoleAssets(app, deps.consoleDirectory);
  return app;
}
