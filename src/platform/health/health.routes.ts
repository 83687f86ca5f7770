import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import Type from 'typebox';
import { publicSecurity } from '../http/openapi.js';
import { HealthResponse, ReadyResponse } from './health.schemas.js';
import { checkReadiness, type ReadinessDeps } from './health.service.js';

export interface HealthRouteDeps extends ReadinessDeps {
  metrics: Registry;
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRouteDeps> = async (app, deps) => {
  app.get(
    '/health',
    { schema: { tags: ['operations'], operationId: 'getHealth', security: publicSecurity, summary: 'The process is alive', response: { 200: HealthResponse } } },
    async () => ({ status: 'OK' as const, uptime_seconds: Math.round(process.uptime()) }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getReadiness',
        security: publicSecurity,
        summary: 'The database answers and its migrations are current (and Redis answers, when configured)',
        response: { 200: ReadyResponse, 503: ReadyResponse },
      },
    },
    async (_request, reply) => {
      const readiness = await checkReadiness(deps);
      return reply.status(readiness.ready ? 200 : 503).send({ status: readiness.ready ? 'READY' : 'UNAVAILABLE', checks: readiness.checks });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getMetrics',
        security: publicSecurity,
        summary: 'Prometheus metrics: process, stream subscribers, events delivered, delivery lag',
        produces: ['text/plain'],
        response: { 200: { description: 'the Prometheus text format', content: { 'text/plain': { schema: Type.String() } } } },
      },
    },
    async (_request, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
  );
};
