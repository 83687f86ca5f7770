import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/test-app.js';

// Real: the app built as `serve` builds it, on the test database, asked through Fastify's inject; without a
// console build, as a server run from a checkout is.
const context = useTestApp({ consoleDirectory: join(tmpdir(), 'unitrain-no-console-build') });

describe('the API documentation at /docs', () => {
  // That a start loads neither the Swagger UI nor its file server before this first request is a real
  // process's test (server.test.ts): the test workers share one module cache across files.
  it('serves the document and, on its first request, the Swagger UI page', async () => {
    expect((await context.app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(200);
    const page = await context.app.inject({ method: 'GET', url: '/docs' });
    expect([page.statusCode, page.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.body).toContain('<script src="/docs/static/swagger-initializer.js"');
  });

  it('serves the Swagger UI’s files with their validators, and the document as YAML', async () => {
    const bundle = await context.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect([bundle.statusCode, bundle.headers['content-type']]).toEqual([200, 'application/javascript; charset=utf-8']);
    expect(bundle.rawPayload.length).toBe(Number(bundle.headers['content-length']));
    expect(bundle.headers['etag']).toEqual(expect.any(String));
    const again = await context.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js', headers: { 'if-none-match': String(bundle.headers['etag']) } });
    expect([again.statusCode, again.body]).toEqual([304, '']);
    const head = await context.app.inject({ method: 'HEAD', url: '/docs/static/index.css' });
    expect([head.statusCode, head.headers['content-type'], head.body]).toEqual([200, 'text/css; charset=utf-8', '']);
    const redirect = await context.app.inject({ method: 'GET', url: '/docs/static/index.html' });
    expect([redirect.statusCode, redirect.headers['location']]).toEqual([302, '/docs/']);
    const yaml = await context.app.inject({ method: 'GET', url: '/docs/yaml' });
    expect([yaml.statusCode, yaml.headers['content-type']]).toEqual([200, 'application/x-yaml']);
    expect(yaml.body).toMatch(/^openapi: 3\.1\.0$/m);
  });

  it('answers a file the Swagger UI does not have with the API’s 404', async () => {
    const missing = await context.app.inject({ method: 'GET', url: '/docs/static/no-such-file.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'ROUTE_NOT_FOUND', message: 'no route GET /docs/static/no-such-file.js' } });
  });
});
