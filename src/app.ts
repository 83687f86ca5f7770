import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Db } from './db/database.js';
import type { MigrationFile } from './db/migrations/migration-files.js';
import { registerErrorHandling } from './http/error-handler.js';
import { healthRoutes } from './modules/health/index.js';
import type { Logger } from './shared/logger.js';

export interface AppDeps {
  db: Db;
  logger: Logger;
  redis: Redis | null;
  /** The migrations this build expects (what /ready compares the database with). */
  migrations: MigrationFile[];
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
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    bodyLimit: 10 * 1024 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerErrorHandling(app);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Unitrain API', version: '0.1.0', description: 'Training sessions, enrollments, rosters, certificates and compliance.' },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(healthRoutes, { db: deps.db, redis: deps.redis, migrations: deps.migrations });
  return app;
}
