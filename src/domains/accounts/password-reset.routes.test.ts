import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, testKeyring, tokenFor } from '../../../test/auth.js';
import { linkIn, type MailWorker, startMailWorker } from '../../../test/mail-worker.js';
import { useTestApp } from '../../../test/test-app.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../../test/smtp-test-server.js';

// Real application on a real database, real HTTP through inject, the real worker mailing real .eml
// files (and, once, through a real SMTP server on a loopback port). The application's clock is moved
// instead of waiting for links to expire.
let clock = new Date();
const context = useTestApp({ now: () => clock });
let mail: MailWorker;

beforeAll(async () => {
  mail = await startMailWorker(context.db);
});
afterAll(async () => {
  await mail?.remove();
});

const newPassword = 'a brand new passphrase';
let clientCount = 0;
/** Each test asks from its own client address, so the per-client limit of one test does not reach another. */
const nextClient = () => `198.51.100.${++clientCount}`;
const request = (email: string, remoteAddress = nextClient()) =>
  context.app.inject({ method: 'POST', url: '/v1/auth/password-reset', remoteAddress, headers: { host: 'console.example.test' }, payload: { email } });
const confirm = (payload: Record<string, unknown>) =>
  context.app.inject({ method: 'POST', url: '/v1/auth/password-reset/confirm', payload: { new_password: newPassword, ...payload } });
const login = (email: string, password: string) => context.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
const address = () => `reset.${randomUUID().slice(0, 8)}@example.test`;

/** Asks for a reset of `email`'s account, runs the worker, and returns the token of the one link mailed. */
async function resetLinkFor(user: { id: string; email: string }) {
  const before = await mail.mailsStartingWith(`password-reset-${user.id}-`);
  expect((await request(user.email)).statusCode).toBe(202);
  await mail.worker.drain();
  const after = await mail.mailsStartingWith(`password-reset-${user.id}-`);
  expect(after).toHaveLength(before.length + 1);
  const fresh = after.find((message) => !before.some((old) => old.raw === message.raw))!;
  return { mail: fresh, ...linkIn(fresh) };
}

const expectError = (response: { statusCode: number; json: <T>() => T }, status: number, code: string, field?: string) => {
  expect(response.statusCode).toBe(status);
  const body = response.json<{ error: { code: string; message: string; details?: { field?: string; reason?: string } } }>();
  expect(body.error).toMatchObject({ code, message: expect.any(String) });
  if (field) expect(body.error.details?.field).toBe(field);
  return body.error;
};

describe('password reset by e-mail', () => {
  it('answers 202 with the same body for an address with and without an account, and mails only the account', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IC', email: address() });
    const known = await request(user.email);
    const unknown = await request(address());
    expect(known.statusCode).toBe(202);
    expect(unknown.statusCode).toBe(202);
    expect(unknown.body).toBe(known.body);
    expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(known.headers).sort());
    const filesBefore = (await mail.mailsStartingWith('')).length;
    await mail.worker.drain();
    const mails = await mail.mailsStartingWith('');
    expect(mails).toHaveLength(filesBefore + 1);
    const [message] = await mail.mailsStartingWith(`password-reset-${user.id}-`);
    expect(message!.headers).toMatchObject({ to: user.email, subject: 'Reset your Unitrain password' });
    expect(linkIn(message!).page).toBe('http://console.example.test/reset-password');
  });

  it('sets the new password, revokes every refresh token, and works once', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IT', email: address() });
    const signedIn = await login(user.email, user.password);
    const { refresh_token: refreshToken } = signedIn.json<{ refresh_token: string }>();
    const { token } = await resetLinkFor(user);

    const confirmed = await confirm({ token });
    expect(confirmed.statusCode, confirmed.body).toBe(204);
    expectError(await login(user.email, user.password), 401, 'INVALID_CREDENTIALS');
    expect(await tokenFor(context.app, user.email, newPassword)).toEqual(expect.any(String));
    // The sign-in from before the reset cannot refresh any more.
    expectError(await context.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: refreshToken } }), 401, 'UNAUTHENTICATED');
    const { rows } = await context.db.query<{ live: number }>('select count(*)::int as live from auth_sessions where user_id = $1 and revoked_at is null', [user.id]);
    expect(rows[0]!.live).toBe(1); // the sign-in made just now with the new password

    expect(expectError(await confirm({ token, new_password: 'yet another passphrase' }), 400, 'INVALID_TOKEN', 'body.token').details).toMatchObject({ reason: 'USED' });
    expect(await tokenFor(context.app, user.email, newPassword)).toEqual(expect.any(String));
  });

  it('refuses an expired link (by the moved clock) and leaves the password as it was', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IP', email: address() });
    const { token } = await resetLinkFor(user);
    clock = new Date(clock.getTime() + 61 * 60_000);
    expect(expectError(await confirm({ token }), 400, 'INVALID_TOKEN', 'body.token').details).toMatchObject({ reason: 'EXPIRED' });
    expect(await tokenFor(context.app, user.email, user.password)).toEqual(expect.any(String));
  });

  it('a newer link replaces the older one, and a reset ends the other links', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IN', email: address() });
    const first = await resetLinkFor(user);
    const second = await resetLinkFor(user);
    expect(second.token).not.toBe(first.token);
    expect(expectError(await confirm({ token: first.token }), 400, 'INVALID_TOKEN').details).toMatchObject({ reason: 'REPLACED' });
    expect((await confirm({ token: second.token })).statusCode).toBe(204);
  });

  it('mails nothing for an inactive account', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IT', email: address() });
    await context.db.query(`update users set status = 'INACTIVE' where id = $1`, [user.id]);
    expect((await request(user.email)).statusCode).toBe(202);
    await mail.worker.drain();
    expect(await mail.mailsStartingWith(`password-reset-${user.id}-`)).toEqual([]);
  });

  it('forgets the failed sign-ins of the account, so the owner can sign in at once', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IT', email: address() });
    for (let attempt = 0; attempt < 6; attempt++) await login(user.email, 'a wrong password!');
    expectError(await login(user.email, user.password), 429, 'RATE_LIMITED');
    const { token } = await resetLinkFor(user);
    expect((await confirm({ token })).statusCode).toBe(204);
    expect((await login(user.email, newPassword)).statusCode).toBe(200);
  });
});

describe('limits', () => {
  it('limits requests per address typed (known or not) to 5 an hour, from any client, with Retry-After', async () => {
    for (const email of [(await createUser(context.db, testKeyring, { role: 'IT', email: address() })).email, address()]) {
      for (let attempt = 0; attempt < 5; attempt++) expect((await request(email)).statusCode).toBe(202);
      const refused = await request(email.toUpperCase());
      expectError(refused, 429, 'RATE_LIMITED');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect((await request(address())).statusCode).toBe(202);
    }
  });

  it('limits requests per client address to 20 an hour, whatever the addresses typed', async () => {
    const client = nextClient();
    for (let attempt = 0; attempt < 20; attempt++) expect((await request(address(), client)).statusCode).toBe(202);
    expectError(await request(address(), client), 429, 'RATE_LIMITED');
    expect((await request(address(), nextClient())).statusCode).toBe(202);
  });
});

describe('bad input gets the one error shape and changes nothing', () => {
  it.each([
    [{ email: 'not an address' }, 'body.email'],
    [{}, 'body.email'],
    [{ email: 'x@example.test', extra: true }, 'body.extra'],
  ])('POST /v1/auth/password-reset %j → 400 naming %s', async (payload, field) => {
    const jobs = async () => (await context.db.query<{ n: number }>(`select count(*)::int as n from jobs where handler = 'accounts.password-reset-mail'`)).rows[0]!.n;
    const before = await jobs();
    expectError(await context.app.inject({ method: 'POST', url: '/v1/auth/password-reset', remoteAddress: nextClient(), payload }), 400, 'VALIDATION_FAILED', field);
    expect(await jobs()).toBe(before);
  });

  it.each([
    [{ token: 'not-a-token-of-ours-aaaaaaaaaaaaaaaaaaaaaaaaaaaa' }, 'INVALID_TOKEN', 'body.token'],
    [{ token: '' }, 'VALIDATION_FAILED', 'body.token'],
    [{ token: 'abc', new_password: 'too short' }, 'VALIDATION_FAILED', 'body.new_password'],
    [{ new_password: 'long enough passphrase' }, 'VALIDATION_FAILED', 'body.token'],
  ])('POST /v1/auth/password-reset/confirm %j → 400 %s', async (payload, code, field) => {
    expectError(await confirm(payload), 400, code, field);
  });

  it('a short new password with a live link is refused and the link still works', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IT', email: address() });
    const { token } = await resetLinkFor(user);
    expectError(await confirm({ token, new_password: 'x'.repeat(11) }), 400, 'VALIDATION_FAILED', 'body.new_password');
    expect((await confirm({ token })).statusCode).toBe(204);
  });
});

describe('through SMTP', () => {
  let smtp: TestSmtpServer;
  let smtpMail: MailWorker;
  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    smtpMail = await startMailWorker(context.db, { smtpUrl: smtp.url });
  });
  afterAll(async () => {
    await smtp?.close();
    await smtpMail?.remove();
  });

  it('delivers the reset mail to the SMTP server, and its link sets the password', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IT', email: address() });
    expect((await request(user.email)).statusCode).toBe(202);
    await smtpMail.worker.drain();
    const received = smtp.received.filter((message) => message.recipients.includes(user.email));
    expect(received).toHaveLength(1);
    expect(received[0]!.headers).toMatchObject({ subject: 'Reset your Unitrain password', 'auto-submitted': 'auto-generated' });
    expect((await confirm({ token: linkIn(received[0]!).token })).statusCode).toBe(204);
    expect(await tokenFor(context.app, user.email, newPassword)).toEqual(expect.any(String));
  });
});
