import type { StaticDocumentSpec } from '@fastify/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';

/** Headers of the Swagger UI's own answer that this app's answer sets itself. */
const ownHeaders = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);

/**
 * The OpenAPI document at /docs/json and /docs/yaml, and the Swagger UI at /docs: its page and the files it
 * loads. @fastify/swagger-ui and @fastify/static, which it serves its files with, cost every start ~40 ms of
 * CPU and the files they read (decision 0099), for a page few starts ever serve: they load on its first
 * request, into a Fastify instance of their own given this app's document (fixed once the app is ready).
 * This app answers with what that instance answered, through its own hooks (security headers, caching), and
 * with its own 404.
 */
export function registerDocs(app: FastifyInstance): void {
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/docs/yaml', { schema: { hide: true } }, async (_request, reply) => reply.type('application/x-yaml').send(app.swagger({ yaml: true })));

  let ui: Promise<FastifyInstance> | null = null;
  const loadUi = async (): Promise<FastifyInstance> => {
    const [{ default: Fastify }, { default: swagger }, { default: swaggerUi }] = await Promise.all([import('fastify'), import('@fastify/swagger'), import('@fastify/swagger-ui')]);
    const docs = Fastify();
    // An OpenAPI 3.1 document, which the static mode's types (2.0 and 3.0) do not name; it serves any as given.
    const document = app.swagger() as StaticDocumentSpec['document'];
    await docs.register(swagger, { mode: 'static', specification: { document } });
    await docs.register(swaggerUi, { routePrefix: '/docs' });
    await docs.ready();
    return docs;
  };
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    ui ??= loadUi().catch((error: unknown) => {
      // The next request tries again.
      ui = null;
      throw error;
    });
    const answer = await (await ui).inject({ method: request.method === 'HEAD' ? 'HEAD' : 'GET', url: request.url, headers: request.headers });
    if (answer.statusCode === 404) throw new AppError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    if (answer.statusCode >= 400) throw new Error(`the Swagger UI answered ${answer.statusCode}: ${answer.body}`);
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !ownHeaders.has(name)) reply.header(name, value);
    }
    return reply.status(answer.statusCode).send(answer.rawPayload);
  };
  app.get('/docs', { schema: { hide: true } }, forward);
  app.get('/docs/*', { schema: { hide: true } }, forward);
  app.addHook('onClose', async () => {
    const loaded = await ui?.catch(() => null);
    await loaded?.close();
  });
}
