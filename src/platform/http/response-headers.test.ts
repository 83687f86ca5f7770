import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildTestApp, createUser, testKeyring, tokenFor } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';

const context = useTestApp();
let token: string;
let overTls: FastifyInstance;

beforeAll(async () => {
  const user = await createUser(context.db, testKeyring, { role: 'IC' });
  token = await tokenFor(context.app, user.email, user.password);
  overTls = await buildTestApp(context.db, { publicUrl: 'https://training.example.org' });
});
afterAll(async () => {
  await overTls?.close();
});

function directives(header: string | string[] | number | undefined): Map<string, string> {
  return new Map(
    String(header)
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [name, ...values] = part.split(/\s+/);
        return [name as string, values.join(' ')];
      }),
  );
}

describe('security headers', () => {
  it('come with every answer: signed in, signed out, a missing route and an error', async () => {
    const answers = await Promise.all([
      context.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(token) }),
      context.app.inject({ method: 'GET', url: '/v1/catalogue' }),
      context.app.inject({ method: 'GET', url: '/no/such/route' }),
      context.app.inject({ method: 'POST', url: '/v1/auth/login', payload: '{"broken' , headers: { 'content-type': 'application/json' } }),
    ]);
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 404, 400]);
    for (const answer of answers) {
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      const csp = directives(answer.headers['content-security-policy']);
      expect(csp.get('frame-ancestors')).toBe("'none'");
      expect(csp.get('script-src')).toBe("'self'");
      expect(csp.get('style-src')).toBe("'self'");
      // Served over plain http: no HSTS, and no upgrade of the page's own requests to https.
      expect(csp.has('upgrade-insecure-requests')).toBe(false);
      expect(answer.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('come with the event stream too, whose answer is written outside the framework', async () => {
    const baseUrl = await context.app.listen({ port: 0, host: '127.0.0.1' });
    const aborted = new AbortController();
    const answer = await fetch(`${baseUrl}/v1/stream`, { headers: bearer(token), signal: aborted.signal });
    aborted.abort();
    expect([answer.status, answer.headers.get('content-type')]).toEqual([200, 'text/event-stream; charset=utf-8']);
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('x-frame-options')).toBe('DENY');
    expect(directives(answer.headers.get('content-security-policy') ?? undefined).get('frame-ancestors')).toBe("'none'");
    expect(answer.headers.get('cache-control')).toBe('no-cache, no-transform');
  });

  it('ask for HSTS and https upgrades when PUBLIC_URL is https', async () => {
    const answer = await overTls.inject({ method: 'GET', url: '/v1/catalogue' });
    expect(answer.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(directives(answer.headers['content-security-policy']).has('upgrade-insecure-requests')).toBe(true);
  });

  it('leave the Swagger UI working: its page loads every script and style from a file, which the policy allows', async () => {
    const page = await context.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    const csp = directives(page.headers['content-security-policy']);
    expect(csp.get('script-src')).toBe("'self'");
    const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, content] of scripts) {
      expect(attributes).toMatch(/ src="\.\/static\/[^"]+\.js"/);
      expect(content?.trim()).toBe('');
    }
    expect(page.body).not.toMatch(/<style|style="/);
    const initializer = await context.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(initializer.statusCode).toBe(200);
    // The document it fetches is a relative URL, on the same origin (connect-src 'self').
    expect(initializer.body).toContain("url: resolveUrl('./json')");
    expect(csp.get('connect-src')).toBe("'self'");
  });
});

describe('Cache-Control', () => {
  it('is no-store on an authenticated answer: /v1/me carries an e-mail address and a phone number', async () => {
    const me = await context.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(token) });
    expect(me.statusCode).toBe(200);
    expect(me.headers['cache-control']).toBe('no-store');
  });

  it('is no-store on the sign-in answer, which carries tokens', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IT' });
    const login = await context.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: user.email, password: user.password } });
    expect(login.statusCode).toBe(200);
    expect(login.headers['cache-control']).toBe('no-store');
  });

  it('keeps the caching a route chose: the iCal feed may be kept privately for five minutes', async () => {
    const created = await context.app.inject({ method: 'POST', url: '/v1/me/calendar-feed', headers: bearer(token) });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const feed = await context.app.inject({ method: 'GET', url: new URL(created.json<{ url: string }>().url).pathname });
    expect(feed.statusCode).toBe(200);
    expect(feed.headers['cache-control']).toBe('private, max-age=300');
  });
});
