import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bearer, createUser, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { createLogger, loggedPath } from './logger.js';

const lines: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  },
});
const context = useTestApp({ logger: createLogger({ logLevel: 'info', logFormat: 'json' }, capture) });

describe('request logs', () => {
  it('never hold the query string or a calendar feed token', async () => {
    const { app, db } = context;
    const trainee = await createUser(db, testKeyring, { role: 'IT' });
    const token = await mintAccessToken(testKeyring, { userId: trainee.id, role: 'IT' });
    const created = await app.inject({ method: 'POST', url: '/v1/me/calendar-feed', headers: bearer(token) });
    expect(created.statusCode).toBe(201);
    const feedPath = new URL(created.json<{ url: string }>().url).pathname;
    const secret = feedPath.split('/').pop()?.replace(/\.ics$/, '') as string;
    expect(secret.length).toBeGreaterThan(20);
    expect((await app.inject({ method: 'GET', url: `${feedPath}?access_token=query-secret` })).statusCode).toBe(200);
    const logged = lines.join('\n');
    expect(logged).toContain('/v1/calendar/feeds/[redacted]');
    expect(logged).not.toContain(secret);
    expect(logged).not.toContain('query-secret');
  });

  it('redacts passwords and link tokens wherever an object carrying them is logged', () => {
    const logged: string[] = [];
    const logger = createLogger({ logLevel: 'info', logFormat: 'json' }, { write: (line: string) => logged.push(line) });
    logger.info({ body: { token: 'link-secret', password: 'first-secret', new_password: 'second-secret', current_password: 'third-secret' } }, 'a body');
    expect(logged.join('')).toContain('[redacted]');
    expect(logged.join('')).not.toMatch(/link-secret|first-secret|second-secret|third-secret/);
  });

  it('keeps ordinary paths as they are', () => {
    expect(loggedPath('/v1/sessions/abc/enrollments?x=1')).toBe('/v1/sessions/abc/enrollments');
    expect(loggedPath('/v1/calendar/feeds/secret.ics')).toBe('/v1/calendar/feeds/[redacted]');
  });
});
