import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, mintAccessToken, testKeyring, tokenFor, type TestUser } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { tokenAudience, tokenIssuer } from '../security/access-tokens.js';

// Real database, the real application through inject; tokens forged with jose the way an attacker would.
const context = useTestApp();
let user: TestUser;

beforeAll(async () => {
  user = await createUser(context.db, testKeyring, { role: 'IC' });
});

const me = (headers: Record<string, string>) => context.app.inject({ method: 'GET', url: '/v1/me', headers });
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claims = () => ({ role: 'SA', pid: null, sub: user.id, iss: tokenIssuer, aud: tokenAudience, jti: randomUUID() });
const nowSeconds = () => Math.floor(Date.now() / 1000);

function signed(alg: string) {
  return new SignJWT(claims()).setProtectedHeader({ alg }).setIssuedAt().setExpirationTime('10m');
}

async function expectRefused(headers: Record<string, string>) {
  const response = await me(headers);
  expect(response.statusCode).toBe(401);
  expect(response.json().error.code).toBe('UNAUTHENTICATED');
}

describe('access tokens', () => {
  it('accepts a token signed by the server and acts as its user', async () => {
    const response = await me(bearer(await tokenFor(context.app, user.email, user.password)));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: user.id, role: 'IC' });
  });

  it('refuses a token whose signature or payload was tampered with', async () => {
    const token = await mintAccessToken(testKeyring, { userId: user.id, role: 'IC' });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`;
    await expectRefused(bearer(`${header}.${payload}.${flipped}`));
    const promoted = base64url({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'SA' });
    await expectRefused(bearer(`${header}.${promoted}.${signature}`));
  });

  it('refuses a payload changed under the signature of a token it accepted before (verified tokens are kept by signature)', async () => {
    const token = await mintAccessToken(testKeyring, { userId: user.id, role: 'IC' });
    expect((await me(bearer(token))).statusCode).toBe(200);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const promoted = base64url({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'SA' });
    await expectRefused(bearer(`${header}.${promoted}.${signature}`));
    expect((await me({ authorization: `bearer  ${token} ` })).json()).toMatchObject({ id: user.id, role: 'IC' });
  });

  it('refuses an expired token', async () => {
    const twentyMinutesAgo = () => new Date(Date.now() - 20 * 60_000);
    await expectRefused(bearer(await mintAccessToken(testKeyring, { userId: user.id, role: 'IC' }, { now: twentyMinutesAgo })));
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const payload = { ...claims(), iat: nowSeconds(), exp: nowSeconds() + 600 };
    await expectRefused(bearer(`${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`));
  });

  it('refuses tokens signed with another algorithm: RS256 with any key pair, HS512 and HS384 even with our key', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    await expectRefused(bearer(await signed('RS256').sign(privateKey)));
    const ourKey = new Uint8Array(testKeyring.tokenSigningKey);
    await expectRefused(bearer(await signed('HS512').sign(ourKey)));
    await expectRefused(bearer(await signed('HS384').sign(ourKey)));
  });

  it('refuses HS256 tokens with another key, another issuer or another audience', async () => {
    await expectRefused(bearer(await signed('HS256').sign(new Uint8Array(32).fill(9))));
    const ourKey = new Uint8Array(testKeyring.tokenSigningKey);
    await expectRefused(bearer(await signed('HS256').setIssuer('someone-else').sign(ourKey)));
    await expectRefused(bearer(await signed('HS256').setAudience('another-api').sign(ourKey)));
  });

  it('refuses a malformed Authorization header, and a valid token for an account that does not exist', async () => {
    await expectRefused({ authorization: 'Basic dXNlcjpwYXNz' });
    await expectRefused({ authorization: 'Bearer' });
    await expectRefused({ authorization: 'Bearer not-a-jwt' });
    await expectRefused({ authorization: `Bearer ${'a'.repeat(5000)}` });
    await expectRefused(bearer(await mintAccessToken(testKeyring, { userId: randomUUID(), role: 'SA' })));
  });

  it("takes the role from the database, not from the token's claims", async () => {
    const claimsSa = await mintAccessToken(testKeyring, { userId: user.id, role: 'SA' });
    const response = await me(bearer(claimsSa));
    expect(response.statusCode).toBe(200);
    expect(response.json().role).toBe('IC');
  });
});

describe('changes to the account apply to tokens already issued', () => {
  it("stops a deactivated user's token at once", async () => {
    const admin = await createUser(context.db, testKeyring, { role: 'SA' });
    const target = await createUser(context.db, testKeyring, { role: 'IT' });
    const token = await tokenFor(context.app, target.email, target.password);
    expect((await me(bearer(token))).statusCode).toBe(200);
    const adminToken = await tokenFor(context.app, admin.email, admin.password);
    const deactivated = await context.app.inject({ method: 'POST', url: `/v1/users/${target.id}/deactivate`, headers: bearer(adminToken) });
    expect(deactivated.statusCode).toBe(200);
    expect(deactivated.json().status).toBe('INACTIVE');
    await expectRefused(bearer(token));
  });

  it('applies a role change at once: a trainee promoted to AD may create users with the token it already had', async () => {
    const admin = await createUser(context.db, testKeyring, { role: 'SA' });
    const trainee = await createUser(context.db, testKeyring, { role: 'IT' });
    const token = await tokenFor(context.app, trainee.email, trainee.password);
    const newUser = () => ({ role: 'IN', email: `new-${randomUUID()}@example.org`, first_name: 'New', last_name: 'Person', password: 'a long enough password' });
    const before = await context.app.inject({ method: 'POST', url: '/v1/users', headers: bearer(token), payload: newUser() });
    expect(before.statusCode).toBe(403);
    const adminToken = await tokenFor(context.app, admin.email, admin.password);
    const version = (await context.app.inject({ method: 'GET', url: `/v1/users/${trainee.id}`, headers: bearer(adminToken) })).json().version;
    const promoted = await context.app.inject({ method: 'PATCH', url: `/v1/users/${trainee.id}`, headers: bearer(adminToken), payload: { version, role: 'AD' } });
    expect(promoted.statusCode).toBe(200);
    const after = await context.app.inject({ method: 'POST', url: '/v1/users', headers: bearer(token), payload: newUser() });
    expect(after.statusCode).toBe(201);
    expect((await me(bearer(token))).json().role).toBe('AD');
  });
});
