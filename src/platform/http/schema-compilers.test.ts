import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/test-app.js';
import { onFirstUseCompilers } from './schema-compilers.js';

const ajv = { customOptions: { removeAdditional: false, allErrors: true } };

function appWithRoutes(compilersFactory?: ReturnType<typeof onFirstUseCompilers>) {
  const app = Fastify({ ajv, ...(compilersFactory ? { schemaController: { compilersFactory } } : {}) });
  app.get('/items', {
    schema: {
      querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, default: 20 } }, additionalProperties: false },
      response: { 200: { type: 'object', properties: { limit: { type: 'integer' } }, required: ['limit'] } },
    },
  }, async (request) => ({ limit: (request.query as { limit: number }).limit, secret: 'never serialised' }));
  app.post('/items', {
    schema: { body: { type: 'object', properties: { name: { type: 'string', minLength: 1 }, size: { type: 'integer' } }, required: ['name', 'size'] } },
  }, async (_request, reply) => reply.code(201).send());
  return app;
}

describe('schema compilers on first use', () => {
  it('validate, coerce, default and serialise as the compilers Fastify compiles at start', async () => {
    for (const app of [appWithRoutes(), appWithRoutes(onFirstUseCompilers())]) {
      const coerced = await app.inject({ method: 'GET', url: '/items?limit=5' });
      expect(coerced.json()).toEqual({ limit: 5 });
      expect((await app.inject({ method: 'GET', url: '/items' })).json()).toEqual({ limit: 20 });
      const invalid = await app.inject({ method: 'POST', url: '/items', payload: { name: '', size: 'big' } });
      expect(invalid.statusCode).toBe(400);
      // allErrors: both offending fields, as Ajv's own function reports them.
      expect(invalid.json().message).toBe('body/name must NOT have fewer than 1 characters, body/size must be integer');
      expect((await app.inject({ method: 'POST', url: '/items', payload: { name: 'a', size: 1 } })).statusCode).toBe(201);
      await app.close();
    }
  });

  it('compile a route’s schema only when the route is first used', async () => {
    const broken = { schema: { querystring: { type: 'object', properties: { limit: { type: 'no-such-type' } } } } };
    const atStart = Fastify({ ajv });
    atStart.get('/broken', broken, async () => ({}));
    await expect(atStart.ready()).rejects.toThrow(/Failed building the validation schema for GET: \/broken/);

    const onFirstUse = Fastify({ ajv, schemaController: { compilersFactory: onFirstUseCompilers() } });
    onFirstUse.get('/broken', broken, async () => ({}));
    onFirstUse.get('/fine', async () => ({ ok: true }));
    await onFirstUse.ready();
    expect((await onFirstUse.inject({ method: 'GET', url: '/fine' })).json()).toEqual({ ok: true });
    expect((await onFirstUse.inject({ method: 'GET', url: '/broken' })).statusCode).toBe(500);
    await onFirstUse.close();
  });
});

describe('the application’s route schemas', () => {
  const context = useTestApp({ compileSchemasAtStart: true });

  it('all compile with Fastify’s own compilers (the server compiles each on first use)', async () => {
    await expect(context.app.ready()).resolves.toBe(context.app);
    expect(context.app.printRoutes().length).toBeGreaterThan(0);
  });
});
