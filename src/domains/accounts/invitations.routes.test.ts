import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildTestApp, createUser, mintAccessToken, testKeyring, tokenFor } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { createFieldCipher, normaliseEmail } from '../../platform/security/field-cipher.js';
import { createLogger } from '../../platform/shared/logger.js';
import { linkIn, type MailWorker, startMailWorker } from '../../../test/mail-worker.js';

// Real application on a real database (PGlite, or PostgreSQL with DATABASE_URL), real HTTP through
// inject, the real worker writing real .eml files. The clock the application measures expiry by is
// moved instead of waiting.
let clock = new Date();
const appLog: string[] = [];
const context = useTestApp({ now: () => clock, logger: createLogger({ logLevel: 'debug', logFormat: 'json' }, { write: (line: string) => appLog.push(line) }) });
let mail: MailWorker;
const tokens: Record<'sa' | 'ad' | 'ap' | 'ic', string> = { sa: '', ad: '', ap: '', ic: '' };
let providerId: string;

beforeAll(async () => {
  mail = await startMailWorker(context.db);
  const { rows: [provider] } = await context.db.query<{ id: string }>(`insert into authorized_providers (name) values ($1) returning id`, [`North ${randomUUID()}`]);
  providerId = provider!.id;
  for (const role of ['SA', 'AD', 'IC'] as const) {
    const user = await createUser(context.db, testKeyring, { role });
    tokens[role.toLowerCase() as 'sa' | 'ad' | 'ic'] = await mintAccessToken(testKeyring, { userId: user.id, role });
  }
  const ap = await createUser(context.db, testKeyring, { role: 'AP', providerId });
  tokens.ap = await mintAccessToken(testKeyring, { userId: ap.id, role: 'AP', providerId });
});
afterAll(async () => {
  await mail?.remove();
});

const address = (name = 'invitee') => `${name}.${randomUUID().slice(0, 8)}@example.test`;
const invite = (token: string, payload: Record<string, unknown>) =>
  context.app.inject({ method: 'POST', url: '/v1/invitations', headers: { ...bearer(token), host: 'console.example.test' }, payload });
const accept = (payload: Record<string, unknown>, app: FastifyInstance = context.app) =>
  app.inject({ method: 'POST', url: '/v1/invitations/accept', payload: { password: 'a long enough passphrase', first_name: 'Ada', last_name: 'Lovelace', ...payload } });
const action = (token: string, id: string, verb: 'resend' | 'revoke') =>
  context.app.inject({ method: 'POST', url: `/v1/invitations/${id}/${verb}`, headers: { ...bearer(token), host: 'console.example.test' } });
const accountsWith = async (email: string) =>
  (await context.db.query<{ n: number }>('select count(*)::int as n from users where email_hmac = $1', [hmacOf(email)])).rows[0]!.n;
const cipher = createFieldCipher(testKeyring);
/** The blind index the application looks accounts up by. */
const hmacOf = (email: string) => cipher.blindIndex(normaliseEmail(email));

/** Invites, runs the worker, and returns the invitation and the token of the link it mailed. */
async function invited(payload: Record<string, unknown>, token = tokens.sa) {
  const created = await invite(token, payload);
  expect(created.statusCode, created.body).toBe(201);
  const invitation = created.json<{ id: string; email: string }>();
  await mail.worker.drain();
  const mails = await mail.mailsStartingWith(`invitation-${invitation.id}-`);
  expect(mails).toHaveLength(1);
  return { invitation, mail: mails[0]!, ...linkIn(mails[0]!) };
}

const expectError = (response: { statusCode: number; json: <T>() => T }, status: number, code: string, field?: string) => {
  expect(response.statusCode).toBe(status);
  const body = response.json<{ error: { code: string; message: string; details?: { field?: string } } }>();
  expect(body.error).toMatchObject({ code, message: expect.any(String) });
  if (field) expect(body.error.details?.field).toBe(field);
  return body.error;
};

describe('an invitation, from the administrator to an active account', () => {
  it('mails a one-use link to the console page after the commit; the invitee sets a password and names and can sign in', async () => {
    const email = address('ada');
    const created = await invite(tokens.sa, { email, role: 'IT' });
    expect(created.statusCode, created.body).toBe(201);
    const invitation = created.json<{ id: string; status: string; mailed_at: string | null; expires_at: string }>();
    expect(invitation).toMatchObject({ email, role: 'IT', provider_id: null, status: 'PENDING', mailed_at: null, accepted_user_id: null });
    expect(new Date(invitation.expires_at).getTime()).toBe(clock.getTime() + 7 * 86_400_000);
    // Nothing is mailed by the request: the job mails after the commit.
    expect(await mail.mailsStartingWith(`invitation-${invitation.id}-`)).toEqual([]);

    await mail.worker.drain();
    const [message] = await mail.mailsStartingWith(`invitation-${invitation.id}-`);
    expect(message!.headers).toMatchObject({ to: email, subject: 'You are invited to Unitrain', from: 'Unitrain <no-reply@unitrain.test>' });
    expect(message!.text).toContain('as Instructor Trainee');
    const link = linkIn(message!);
    // The request's own base when PUBLIC_URL is not set; the token in the fragment, never a query.
    expect(link.page).toBe('http://console.example.test/accept-invitation');
    expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const read = await context.app.inject({ method: 'GET', url: `/v1/invitations/${invitation.id}`, headers: bearer(tokens.sa) });
    expect(read.json<{ mailed_at: string | null }>().mailed_at).not.toBeNull();

    const accepted = await accept({ token: link.token });
    expect(accepted.statusCode, accepted.body).toBe(201);
    const user = accepted.json<{ id: string }>();
    expect(user).toMatchObject({ role: 'IT', status: 'ACTIVE', email, first_name: 'Ada', last_name: 'Lovelace' });
    expect(await tokenFor(context.app, email, 'a long enough passphrase')).toEqual(expect.any(String));
    const after = await context.app.inject({ method: 'GET', url: `/v1/invitations/${invitation.id}`, headers: bearer(tokens.sa) });
    expect(after.json()).toMatchObject({ status: 'ACCEPTED', accepted_user_id: user.id, accepted_at: expect.any(String) });

    // The link works once.
    expect(expectError(await accept({ token: link.token, password: 'another long passphrase' }), 400, 'INVALID_TOKEN', 'body.token')).toMatchObject({ details: { reason: 'ACCEPTED' } });
    expect(await accountsWith(email)).toBe(1);
  });

  it('stores only the SHA-256 of the token, never the token, and logs it nowhere', async () => {
    const { token, invitation } = await invited({ email: address(), role: 'IP' });
    const hash = createHash('sha256').update(token).digest('hex');
    const { rows } = await context.db.query<{ purpose: string; invitation_id: string }>('select purpose, invitation_id from account_tokens where token_hash = $1', [hash]);
    expect(rows).toEqual([{ purpose: 'INVITATION', invitation_id: invitation.id }]);
    const { rows: [found] } = await context.db.query<{ n: number }>(
      `select (select count(*) from jobs where payload::text like '%' || $1 || '%') + (select count(*) from account_tokens where token_hash = $1)
            + (select count(*) from audit_log where coalesce(new_values::text, '') || coalesce(old_values::text, '') like '%' || $1 || '%') as n`,
      [token],
    );
    expect(Number(found!.n)).toBe(0);
    expect((await accept({ token })).statusCode).toBe(201);
    expect(appLog.length).toBeGreaterThan(0);
    expect([...appLog, ...mail.logLines].filter((line) => line.includes(token))).toEqual([]);
  });

  it('puts an AP into the provider it was invited to', async () => {
    const { token } = await invited({ email: address('ap'), role: 'AP', provider_id: providerId });
    const accepted = await accept({ token });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json()).toMatchObject({ role: 'AP', provider_ids: [providerId] });
  });

  it('builds the link on PUBLIC_URL when it is set', async () => {
    const app = await buildTestApp(context.db, { publicUrl: 'https://training.example.org', now: () => clock });
    try {
      const created = await app.inject({ method: 'POST', url: '/v1/invitations', headers: bearer(tokens.sa), payload: { email: address(), role: 'IN' } });
      expect(created.statusCode, created.body).toBe(201);
      await mail.worker.drain();
      const [message] = await mail.mailsStartingWith(`invitation-${created.json<{ id: string }>().id}-`);
      expect(linkIn(message!).page).toBe('https://training.example.org/accept-invitation');
    } finally {
      await app.close();
    }
  });
});

describe('resend, revoke and expiry', () => {
  it('resend mails a new link and kills the old one at once', async () => {
    const first = await invited({ email: address(), role: 'IT' });
    clock = new Date(clock.getTime() + 3_600_000);
    const resent = await action(tokens.ad, first.invitation.id, 'resend');
    expect(resent.statusCode, resent.body).toBe(200);
    expect(resent.json()).toMatchObject({ status: 'PENDING', mailed_at: null, expires_at: new Date(clock.getTime() + 7 * 86_400_000).toISOString() });
    // Dead before the new mail even went out.
    expect(expectError(await accept({ token: first.token }), 400, 'INVALID_TOKEN').details).toMatchObject({ reason: 'REPLACED' });
    await mail.worker.drain();
    const mails = await mail.mailsStartingWith(`invitation-${first.invitation.id}-`);
    expect(mails).toHaveLength(2);
    const second = mails.map(linkIn).find((link) => link.token !== first.token)!;
    expect(expectError(await accept({ token: first.token }), 400, 'INVALID_TOKEN').details).toMatchObject({ reason: 'REPLACED' });
    expect((await accept({ token: second.token })).statusCode).toBe(201);
  });

  it('revoke ends the link; an accepted or revoked invitation cannot be resent or revoked (409), an unknown one is 404', async () => {
    const { invitation, token } = await invited({ email: address(), role: 'IC' });
    const revoked = await action(tokens.sa, invitation.id, 'revoke');
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json()).toMatchObject({ status: 'REVOKED', revoked_at: expect.any(String), revoked_by: expect.any(String) });
    expect(expectError(await accept({ token }), 400, 'INVALID_TOKEN').details).toMatchObject({ reason: 'REVOKED' });
    expect(expectError(await action(tokens.sa, invitation.id, 'revoke'), 409, 'INVALID_TRANSITION', 'params.id').details).toMatchObject({ current: { status: 'REVOKED' } });
    expectError(await action(tokens.sa, invitation.id, 'resend'), 409, 'INVALID_TRANSITION');
    expectError(await action(tokens.sa, randomUUID(), 'revoke'), 404, 'NOT_FOUND');
    // Revoked: the address may be invited again.
    expect((await invite(tokens.sa, { email: invitation.email, role: 'IC' })).statusCode).toBe(201);
  });

  it('expires by the clock: listed as EXPIRED, the link refused, a resend opens it again', async () => {
    const { invitation, token } = await invited({ email: address(), role: 'IT' });
    clock = new Date(clock.getTime() + 7 * 86_400_000 + 1_000);
    const listed = await context.app.inject({ method: 'GET', url: '/v1/invitations?status=EXPIRED&limit=200', headers: bearer(tokens.sa) });
    expect(listed.statusCode).toBe(200);
    expect(listed.json<{ items: { id: string; status: string }[] }>().items).toContainEqual(expect.objectContaining({ id: invitation.id, status: 'EXPIRED' }));
    expect(expectError(await accept({ token }), 400, 'INVALID_TOKEN').details).toMatchObject({ reason: 'EXPIRED' });
    expect(await accountsWith(invitation.email)).toBe(0);
    // Still open: a second invitation of the address is a conflict, a resend is the way.
    expectError(await invite(tokens.sa, { email: invitation.email, role: 'IT' }), 409, 'CONFLICT', 'body.email');
    expect((await action(tokens.sa, invitation.id, 'resend')).json()).toMatchObject({ status: 'PENDING' });
    await mail.worker.drain();
    const fresh = (await mail.mailsStartingWith(`invitation-${invitation.id}-`)).map(linkIn).find((link) => link.token !== token)!;
    expect((await accept({ token: fresh.token })).statusCode).toBe(201);
  });

  it('lists newest first a page at a time with a total, and filters by status', async () => {
    const first = await context.app.inject({ method: 'GET', url: '/v1/invitations?limit=2', headers: bearer(tokens.sa) });
    const page = first.json<{ items: { created_at: string }[]; next_cursor: string | null; total: number }>();
    expect(page.items).toHaveLength(2);
    expect(page.total).toBeGreaterThan(2);
    expect(page.next_cursor).toEqual(expect.any(String));
    const next = await context.app.inject({ method: 'GET', url: `/v1/invitations?limit=2&cursor=${page.next_cursor}`, headers: bearer(tokens.sa) });
    expect(next.statusCode).toBe(200);
    expect(next.json<{ items: { created_at: string }[] }>().items[0]!.created_at <= page.items[1]!.created_at).toBe(true);
    const accepted = await context.app.inject({ method: 'GET', url: '/v1/invitations?status=ACCEPTED&limit=200', headers: bearer(tokens.sa) });
    expect(accepted.json<{ items: { status: string }[] }>().items.every((item) => item.status === 'ACCEPTED')).toBe(true);
  });
});

describe('who may invite whom', () => {
  it('AD invites anyone but an SA (403, nothing stored or queued), and never sees SA invitations (404)', async () => {
    const jobsBefore = (await context.db.query<{ n: number }>(`select count(*)::int as n from jobs where handler = 'accounts.invitation-mail'`)).rows[0]!.n;
    const email = address('sa');
    expectError(await invite(tokens.ad, { email, role: 'SA' }), 403, 'FORBIDDEN');
    const { rows: [stored] } = await context.db.query<{ n: number }>('select count(*)::int as n from invitations where email_hmac = $1', [hmacOf(email)]);
    expect(stored!.n).toBe(0);
    expect((await context.db.query<{ n: number }>(`select count(*)::int as n from jobs where handler = 'accounts.invitation-mail'`)).rows[0]!.n).toBe(jobsBefore);

    const bySa = await invite(tokens.sa, { email, role: 'SA' });
    expect(bySa.statusCode).toBe(201);
    const id = bySa.json<{ id: string }>().id;
    expectError(await context.app.inject({ method: 'GET', url: `/v1/invitations/${id}`, headers: bearer(tokens.ad) }), 404, 'NOT_FOUND');
    expectError(await action(tokens.ad, id, 'resend'), 404, 'NOT_FOUND');
    expectError(await action(tokens.ad, id, 'revoke'), 404, 'NOT_FOUND');
    const listed = await context.app.inject({ method: 'GET', url: '/v1/invitations?limit=200', headers: bearer(tokens.ad) });
    expect(listed.json<{ items: { role: string }[] }>().items.some((item) => item.role === 'SA')).toBe(false);
    const ad = await invite(tokens.ad, { email: address(), role: 'AD' });
    expect(ad.statusCode, ad.body).toBe(201);
  });

  it('AP and instructors may not invite or list (403), signed out is 401', async () => {
    for (const token of [tokens.ap, tokens.ic]) {
      expectError(await invite(token, { email: address(), role: 'AP', provider_id: providerId }), 403, 'FORBIDDEN');
      expectError(await context.app.inject({ method: 'GET', url: '/v1/invitations', headers: bearer(token) }), 403, 'FORBIDDEN');
    }
    expectError(await context.app.inject({ method: 'POST', url: '/v1/invitations', payload: { email: address(), role: 'IT' } }), 401, 'UNAUTHENTICATED');
  });

  it('refuses an address that has an account, whatever its role (409), and a second open invitation (409)', async () => {
    const sa = await createUser(context.db, testKeyring, { role: 'SA' });
    // An AD does not see the SA, but the address is taken all the same.
    expectError(await invite(tokens.ad, { email: sa.email, role: 'IT' }), 409, 'EMAIL_TAKEN', 'body.email');
    expectError(await invite(tokens.sa, { email: sa.email.toUpperCase(), role: 'IT' }), 409, 'EMAIL_TAKEN', 'body.email');
    const email = address();
    expect((await invite(tokens.sa, { email, role: 'IT' })).statusCode).toBe(201);
    expectError(await invite(tokens.ad, { email, role: 'IN' }), 409, 'CONFLICT', 'body.email');
  });

  it('refuses to make an account when the address got one since the invitation (409), and leaves the invitation open', async () => {
    const { invitation, token } = await invited({ email: address(), role: 'IT' });
    await createUser(context.db, testKeyring, { role: 'IN', email: invitation.email });
    expectError(await accept({ token }), 409, 'EMAIL_TAKEN', 'body.token');
    const read = await context.app.inject({ method: 'GET', url: `/v1/invitations/${invitation.id}`, headers: bearer(tokens.sa) });
    expect(read.json()).toMatchObject({ status: 'PENDING' });
  });
});

describe('bad input gets the one error shape and changes nothing', () => {
  it.each([
    [{ email: 'not an address', role: 'IT' }, 'body.email'],
    [{ email: 'x@example.test', role: 'XX' }, 'body.role'],
    [{ email: 'x@example.test' }, 'body.role'],
    [{ email: 'x@example.test', role: 'AP' }, 'body.provider_id'],
    [{ email: 'x@example.test', role: 'IT', provider_id: randomUUID() }, 'body.provider_id'],
    [{ email: 'x@example.test', role: 'IT', extra: 1 }, 'body.extra'],
  ])('POST /v1/invitations %j → 400 naming %s', async (payload, field) => {
    expectError(await invite(tokens.sa, payload), 400, 'VALIDATION_FAILED', field);
  });

  it('an AP invitation into a provider that does not exist is 422', async () => {
    expectError(await invite(tokens.sa, { email: address(), role: 'AP', provider_id: randomUUID() }), 422, 'INVALID_REFERENCE');
  });

  it.each([
    [{ token: 'no-such-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }, 400, 'INVALID_TOKEN', 'body.token'],
    [{ token: '' }, 400, 'VALIDATION_FAILED', 'body.token'],
    [{ token: 'x'.repeat(300) }, 400, 'VALIDATION_FAILED', 'body.token'],
    [{ token: 'abc', password: 'short' }, 400, 'VALIDATION_FAILED', 'body.password'],
    [{ token: 'abc', first_name: '' }, 400, 'VALIDATION_FAILED', 'body.first_name'],
    [{ token: 'abc', role: 'SA' }, 400, 'VALIDATION_FAILED', 'body.role'],
  ])('POST /v1/invitations/accept %j → %i %s', async (payload, status, code, field) => {
    const before = (await context.db.query<{ n: number }>('select count(*)::int as n from users')).rows[0]!.n;
    expectError(await accept(payload), status, code, field);
    expect((await context.db.query<{ n: number }>('select count(*)::int as n from users')).rows[0]!.n).toBe(before);
  });

  it('a malformed id or cursor is 400', async () => {
    expectError(await context.app.inject({ method: 'GET', url: '/v1/invitations/nope', headers: bearer(tokens.sa) }), 400, 'VALIDATION_FAILED', 'params.id');
    expectError(await context.app.inject({ method: 'GET', url: '/v1/invitations?cursor=abc', headers: bearer(tokens.sa) }), 400, 'VALIDATION_FAILED', 'querystring.cursor');
    expectError(await context.app.inject({ method: 'GET', url: '/v1/invitations?status=GONE', headers: bearer(tokens.sa) }), 400, 'VALIDATION_FAILED', 'querystring.status');
  });
});

describe('two accepts of one link at once', () => {
  it('make exactly one account; the other is refused (on PostgreSQL they really race)', async () => {
    const { invitation, token } = await invited({ email: address('race'), role: 'IT' });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, index) => accept({ token, first_name: `Racer ${index}` })));
    const statuses = answers.map((answer) => answer.statusCode).sort();
    expect(statuses).toEqual([201, 400, 400, 400, 400, 400, 400, 400]);
    for (const refusedAnswer of answers.filter((answer) => answer.statusCode === 400)) {
      expect(refusedAnswer.json()).toMatchObject({ error: { code: 'INVALID_TOKEN', details: { reason: expect.stringMatching(/^(ACCEPTED|USED)$/) } } });
    }
    expect(await accountsWith(invitation.email)).toBe(1);
  });
});
