import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, testAuthSettings } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { type CertificateJson, createCertificateWorld, type CertificateWorld } from '../../../test/world.js';
import { createVerificationCounts } from './verification-counts.js';

const context = useTestApp({ publicUrl: 'https://certs.example' });
let world: CertificateWorld;

beforeAll(async () => {
  world = await createCertificateWorld(context.db, () => context.app);
});

const get = (url: string) => context.app.inject({ method: 'GET', url });
const post = (certificate: CertificateJson, action: string, body: object) =>
  world.call(world.tokens.ap, 'POST', `/v1/certificates/${certificate.id}/${action}`, { ...body, version: certificate.version });

async function issued(names?: { firstName: string; lastName: string }): Promise<CertificateJson> {
  const { enrollmentId } = await world.student(names);
  return world.issue(world.tokens.instructor, enrollmentId);
}

describe('GET /v1/verify/:code (signed out)', () => {
  it('answers the printed facts and the state, counts the verification, and never shows the holder or the source rows', async () => {
    const certificate = await issued();
    const response = await get(`/v1/verify/${certificate.verification_code.toLowerCase().replaceAll('-', ' ')}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = response.json<Record<string, unknown>>();
    expect(body).toEqual({
      verification_code: certificate.verification_code, status: 'ACTIVE', printed: certificate.printed,
      issue_date: certificate['issue_date'], expiry_date: certificate['expiry_date'],
      revoked_at: null, revoked_reason_code: null, revoked_reason: null, suspended_at: null, suspended_reason: null,
      pdf_sha256: certificate.pdf_sha256, replaced_by_code: null, verification_count: 1,
    });
    expect((await get(`/v1/verify/${certificate.verification_code}`)).json()).toMatchObject({ verification_count: 2 });
    expect(JSON.stringify(body)).not.toContain(certificate.id);
  });

  it('answers from the cache, counts every verification in the answer, and writes the counts by the time the app closes', async () => {
    const certificate = await issued();
    const other = await buildTestApp(context.db, { publicUrl: 'https://certs.example' });
    const l1Hits = async (app: FastifyInstance) => Number(/^unitrain_cache_hits_total\{layer="l1"\} (\d+)/m.exec((await app.inject({ method: 'GET', url: '/metrics' })).body)?.[1] ?? 0);
    const counts: number[] = [];
    try {
      const hitsBefore = await l1Hits(other);
      // Until this process's feed has read the issue, answers bypass the cache; then they come from it.
      await vi.waitFor(async () => {
        const response = await other.inject({ method: 'GET', url: `/v1/verify/${certificate.verification_code}` });
        expect(response.statusCode).toBe(200);
        counts.push(response.json<{ verification_count: number }>().verification_count);
        expect(await l1Hits(other)).toBeGreaterThan(hitsBefore);
      }, { timeout: 30_000, interval: 20 });
    } finally {
      await other.close();
    }
    expect(counts).toEqual(counts.map((_, index) => index + 1));
    expect((await world.call(world.tokens.ap, 'GET', `/v1/certificates/${certificate.id}`)).json()).toMatchObject({
      verification_count: counts.length, last_verified_at: expect.any(String),
    });
  });

  it('ends a cached answer with a committed change: a revocation shows at once and from the cache after', async () => {
    const certificate = await issued();
    const hits = async () => Number(/^unitrain_cache_hits_total\{layer="l1"\} (\d+)/m.exec((await get('/metrics')).body)?.[1] ?? 0);
    const hitsBefore = await hits();
    await vi.waitFor(async () => {
      expect((await get(`/v1/verify/${certificate.verification_code}`)).json()).toMatchObject({ status: 'ACTIVE' });
      expect(await hits()).toBeGreaterThan(hitsBefore);
    }, { timeout: 30_000, interval: 20 });
    expect((await post(certificate, 'revoke', { reason_code: 'FRAUD', reason: 'forged attendance' })).statusCode).toBe(200);
    expect((await get(`/v1/verify/${certificate.verification_code}`)).json()).toMatchObject({ status: 'REVOKED', revoked_reason: 'forged attendance' });
    // Once the feed has read the revocation, answers come from the cache again, never the ACTIVE one.
    const hitsAfterRevoking = await hits();
    await vi.waitFor(async () => {
      expect((await get(`/v1/verify/${certificate.verification_code}`)).json()).toMatchObject({ status: 'REVOKED' });
      expect(await hits()).toBeGreaterThan(hitsAfterRevoking);
    }, { timeout: 30_000, interval: 20 });
    expect((await get(`/verify/${certificate.verification_code}`)).body).toContain('<p class="status REVOKED">REVOKED</p>');
  });

  it('answers an unknown, a malformed and a forged code alike: 404 NOT_FOUND, nothing counted', async () => {
    const certificate = await issued();
    const forged = `${certificate.verification_code.slice(0, -1)}${certificate.verification_code.endsWith('0') ? '1' : '0'}`;
    const answers = await Promise.all(['0000-0000-0000-0000', 'not a code', forged, '%3Cscript%3E', 'A'.repeat(60)].map((code) => get(`/v1/verify/${code}`)));
    for (const answer of answers) {
      expect(answer.statusCode, answer.body).toBe(404);
      expect(answer.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no certificate has this code' } });
    }
    expect((await world.call(world.tokens.ap, 'GET', `/v1/certificates/${certificate.id}`)).json()).toMatchObject({ verification_count: 0 });
  });

  it('shows a revocation with its date, code and reason, and the code of the replacement', async () => {
    const certificate = await issued();
    const reissued = await post(certificate, 'reissue', { reason: 'name misspelt' });
    expect(reissued.statusCode).toBe(201);
    const answer = (await get(`/v1/verify/${certificate.verification_code}`)).json<Record<string, unknown>>();
    expect(answer).toMatchObject({ status: 'REVOKED', revoked_reason_code: 'SUPERSEDED', revoked_at: expect.any(String), replaced_by_code: reissued.json<CertificateJson>().verification_code });
  });

  it('answers each code its own certificate when new codes are verified together (one read for all of them)', async () => {
    const certificates = [await issued(), await issued(), await issued()];
    const revoked = (await post(certificates[1]!, 'revoke', { reason_code: 'FRAUD', reason: 'forged attendance' })).json<CertificateJson>();
    const codes = [...certificates.map((certificate) => certificate.verification_code), '0000-0000-0000-0000'];
    const responses = await Promise.all(codes.map((code) => get(`/v1/verify/${code}`)));
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200, 404]);
    expect(responses.slice(0, 3).map((response) => response.json<{ verification_code: string; status: string }>())).toMatchObject([
      { verification_code: codes[0], status: 'ACTIVE' }, { verification_code: codes[1], status: 'REVOKED', revoked_at: revoked['revoked_at'] },
      { verification_code: codes[2], status: 'ACTIVE' },
    ]);
  });

  it('writes the suspension and revocation times as the certificate does, to the millisecond', async () => {
    let certificate = await issued();
    certificate = (await post(certificate, 'suspend', { reason: 'under review' })).json<CertificateJson>();
    expect((await get(`/v1/verify/${certificate.verification_code}`)).json()).toMatchObject({ status: 'SUSPENDED', suspended_at: certificate['suspended_at'], revoked_at: null });
    certificate = (await post(certificate, 'revoke', { reason_code: 'FRAUD', reason: 'forged attendance' })).json<CertificateJson>();
    expect(certificate['revoked_at']).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/));
    expect((await get(`/v1/verify/${certificate.verification_code}`)).json()).toMatchObject({ status: 'REVOKED', revoked_at: certificate['revoked_at'] });
  });

  it('answers the status as of the day of the app\'s clock: a clock past the expiry date reads EXPIRED', async () => {
    const certificate = await issued();
    const expiry = String(certificate['expiry_date']);
    const dayAfter = new Date(`${expiry}T00:00:00Z`);
    dayAfter.setUTCDate(dayAfter.getUTCDate() + 1);
    const later = await buildTestApp(context.db, { publicUrl: 'https://certs.example', now: () => dayAfter });
    try {
      expect((await later.inject({ method: 'GET', url: `/v1/verify/${certificate.verification_code}` })).json()).toMatchObject({ status: 'EXPIRED', expiry_date: expiry });
    } finally {
      await later.close();
    }
    expect((await get(`/v1/verify/${certificate.verification_code}`)).json()).toMatchObject({ status: 'ACTIVE' });
  });

  it('is rate-limited per client and route, like the catalogue (the JSON, the page and its stylesheet)', async () => {
    const certificate = await issued();
    const limited = await buildTestApp(context.db, { auth: { ...testAuthSettings, publicRateLimitPerMinute: 2 } });
    try {
      for (const [url, answered] of [['/v1/verify/0000-0000-0000-0000', 404], [`/verify/${certificate.verification_code}`, 200], ['/verify/verify.css', 200]] as const) {
        const responses = [];
        for (let i = 0; i < 3; i++) responses.push(await limited.inject({ method: 'GET', url }));
        expect(responses.map((response) => response.statusCode), url).toEqual([answered, answered, 429]);
        expect(responses[2]?.json(), url).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      }
    } finally {
      await limited.close();
    }
  });
});

describe('GET /verify/:code (the page)', () => {
  it('says VALID with the printed facts, under a CSP that allows no script and only its own stylesheet', async () => {
    const certificate = await issued();
    const response = await get(`/verify/${certificate.verification_code}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    const policy = String(response.headers['content-security-policy']);
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("style-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(response.body).toContain('<p class="status VALID">VALID</p>');
    for (const fact of ['Zoë Łukasiewicz-Øster', 'Πρώτες βοήθειες · First aid', '7.5 hours', 'Completed on', '5 May 2031', 'Own hall, Leeds, GB',
      'Владимир Иванов', 'Safe Hands Training', 'Practical 92.5 · Written 88', certificate.verification_code]) {
      expect(response.body).toContain(fact);
    }
    expect(response.body).not.toMatch(/<script|<style|style=/i);
    const stylesheet = await get('/verify/verify.css');
    expect(stylesheet.statusCode).toBe(200);
    expect(stylesheet.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(response.body).toContain('<link rel="stylesheet" href="/verify/verify.css">');
  });

  it('says EXPIRED with the date', async () => {
    const certificate = await issued();
    await context.db.query("update certificates set issue_date = '2020-01-01', expiry_date = '2022-01-31' where id = $1", [certificate.id]);
    const response = await get(`/verify/${certificate.verification_code}`);
    expect(response.body).toContain('<p class="status EXPIRED">EXPIRED</p>');
    expect(response.body).toContain('Expired on 31 January 2022');
  });

  it('says SUSPENDED and REVOKED with the date and the reason', async () => {
    let certificate = await issued();
    const suspended = await post(certificate, 'suspend', { reason: 'under review' });
    certificate = suspended.json<CertificateJson>();
    const day = new Date(String(certificate['suspended_at']));
    const printed = `${day.getUTCDate()} ${day.toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' })} ${day.getUTCFullYear()}`;
    let page = (await get(`/verify/${certificate.verification_code}`)).body;
    expect(page).toContain('<p class="status SUSPENDED">SUSPENDED</p>');
    expect(page).toContain(`Suspended on ${printed}: under review`);
    await post(certificate, 'revoke', { reason_code: 'MISCONDUCT', reason: 'copied the written test' });
    page = (await get(`/verify/${certificate.verification_code}`)).body;
    expect(page).toContain('<p class="status REVOKED">REVOKED</p>');
    expect(page).toContain(`Revoked on ${printed}: copied the written test`);
  });

  it('says no certificate has this code, with 404, for unknown and malformed codes', async () => {
    for (const code of ['0000-0000-0000-0000', '%3Cb%3Ebold%3C%2Fb%3E']) {
      const response = await get(`/verify/${code}`);
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toContain('No certificate has this code');
      expect(response.body).not.toContain('<b>');
    }
  });

  it('escapes every value it shows', async () => {
    const certificate = await issued({ firstName: '<script>alert("x")</script>', lastName: "O'Brien & <b>Co</b>" });
    const suspended = await post(certificate, 'suspend', { reason: '<img src=x onerror=alert(1)>' });
    expect(suspended.statusCode).toBe(200);
    const page = (await get(`/verify/${certificate.verification_code}`)).body;
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Brien &amp; &lt;b&gt;Co&lt;/b&gt;');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toMatch(/<script|<img|<b>/);
  });
});

describe('verification counts written a second later', () => {
  it('keeps the counts a failed write could not store, and adds them on the next write', async () => {
    const certificate = await issued();
    const warnings: unknown[] = [];
    const counts = createVerificationCounts(context.db, { warn: (entry: unknown) => warnings.push(entry) });
    const stored = async () =>
      (await context.db.query<{ n: number }>('select verification_count as n from certificate_verifications where certificate_id = $1', [certificate.id])).rows[0]?.n ?? 0;
    expect([counts.count(certificate.id, 0), counts.count(certificate.id, 0)]).toEqual([1, 2]);
    // A real failure of the write: the table is not there for a moment.
    await context.db.query('alter table certificate_verifications rename to certificate_verifications_away');
    try {
      await counts.flush();
    } finally {
      await context.db.query('alter table certificate_verifications_away rename to certificate_verifications');
    }
    expect(warnings).toHaveLength(1);
    expect(await stored()).toBe(0);
    expect(counts.count(certificate.id, 0)).toBe(3);
    await counts.flush();
    expect(await stored()).toBe(3);
    expect(counts.count(certificate.id, 0)).toBe(4);
    await counts.flush();
    expect(await stored()).toBe(4);
  });

  it('writes the counts of the certificates there are, and none for an id no certificate has', async () => {
    const certificate = await issued();
    const warnings: unknown[] = [];
    const counts = createVerificationCounts(context.db, { warn: (entry: unknown) => warnings.push(entry) });
    const unknownId = randomUUID();
    counts.count(certificate.id, 0);
    counts.count(unknownId, 0);
    await counts.flush();
    const { rows } = await context.db.query<{ certificate_id: string; verification_count: number }>(
      'select certificate_id, verification_count from certificate_verifications where certificate_id = any ($1::uuid[])', [[certificate.id, unknownId]]);
    expect(rows).toEqual([{ certificate_id: certificate.id, verification_count: 1 }]);
    expect(warnings).toEqual([]);
  });

  it('refuses to delete a certificate that has been verified, as the count still names it', async () => {
    const certificate = await issued();
    const counts = createVerificationCounts(context.db, { warn: () => undefined });
    counts.count(certificate.id, 0);
    await counts.flush();
    // Its status list entry refuses the delete too (a foreign key of its own): out of the way first.
    await context.db.query('delete from certificate_status_entries where certificate_id = $1', [certificate.id]);
    const refused = await context.db.query('delete from certificates where id = $1', [certificate.id]).then(() => null, (error: unknown) => error as { code?: string; detail?: string });
    // 23001 is how PostgreSQL 18 reports a foreign key's RESTRICT (as it did here before decision 0105), 23503 before 18.
    expect(refused?.code).toMatch(/^23(001|503)$/);
    expect(refused?.detail).toMatch(/referenced from table "certificate_verifications"/);
  });
});
