import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/test-app.js';

// A console build of its own (two files), so this test does not depend on console/dist being built.
const directory = mkdtempSync(join(tmpdir(), 'unitrain-console-'));
mkdirSync(join(directory, 'assets'));
writeFileSync(join(directory, 'index.html'), '<!doctype html><script type="module" src="/assets/index-Ab12.js"></script><div id="root"></div>');
writeFileSync(join(directory, 'assets', 'index-Ab12.js'), 'console.log("console")');
writeFileSync(join(directory, 'assets', 'index-Ab12.js.br'), brotliCompressSync('console.log("console")'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const context = useTestApp({ consoleDirectory: directory });
const page = { accept: 'text/html,application/xhtml+xml' };

describe('the console at /', () => {
  it('serves index.html at / to be asked for again each time, under the CSP without inline scripts', async () => {
    const answer = await context.app.inject({ method: 'GET', url: '/', headers: page });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/html/);
    expect(answer.headers['cache-control']).toBe('no-cache');
    expect(answer.body).toContain('/assets/index-Ab12.js');
    const policy = String(answer.headers['content-security-policy']);
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
  });

  it('keeps hashed assets for a year, immutable', async () => {
    const answer = await context.app.inject({ method: 'GET', url: '/assets/index-Ab12.js' });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(answer.headers['content-type']).toMatch(/javascript/);
  });

  it('sends the brotli copy the build made to a browser that takes it', async () => {
    const answer = await context.app.inject({ method: 'GET', url: '/assets/index-Ab12.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(answer.rawPayload).toString()).toBe('console.log("console")');
  });

  it('answers a console route with index.html, so a shared link reloads', async () => {
    const answer = await context.app.inject({ method: 'GET', url: '/sessions/3f1c?tab=waitlist', headers: page });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain('<div id="root">');
    expect(answer.headers['cache-control']).toBe('no-cache');
  });

  it.each(['/v1/no-such-route', '/v1', '/.well-known/no-such-key', '/docs/no-such-page', '/verify', '/health/x', '/ready/x', '/metrics/x', '/assets/missing-1234.js'])(
    'keeps the API 404 for %s even when a browser asks',
    async (url) => {
      const answer = await context.app.inject({ method: 'GET', url, headers: page });
      expect(answer.statusCode).toBe(404);
      expect(answer.json()).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
      expect(answer.headers['cache-control']).toBe('no-store');
    },
  );

  it('answers JSON 404 to a script that asks for a wrong path', async () => {
    const answer = await context.app.inject({ method: 'GET', url: '/no-such-file.json', headers: { accept: 'application/json' } });
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
  });

  it('leaves the API itself alone', async () => {
    const answer = await context.app.inject({ method: 'GET', url: '/health' });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toMatch(/json/);
  });

  it('keeps the route out of the OpenAPI document', async () => {
    const document = (await context.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(document.paths).filter((path) => path.includes('*'))).toEqual([]);
  });
});

describe('without a console build', () => {
  const bare = useTestApp({ consoleDirectory: join(directory, 'not-built') });
  it('says at / how to build it', async () => {
    const answer = await bare.app.inject({ method: 'GET', url: '/', headers: page });
    expect(answer.statusCode).toBe(404);
    expect(answer.json<{ error: { message: string } }>().error.message).toContain('npm run console:build');
  });
});
