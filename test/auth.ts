import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { type AppDeps, buildApp } from '../src/app.js';
import type { AuthSettings, StreamSettings } from '../src/config.js';
import type { Role } from '../src/platform/db/actor.js';
import type { Db } from '../src/platform/db/database.js';
import { readMigrationFiles } from '../src/platform/db/migrations/migration-files.js';
import { createAccount } from '../src/domains/users/index.js';
import { createAccessTokens } from '../src/platform/security/access-tokens.js';
import { createFieldCipher } from '../src/platform/security/field-cipher.js';
import type { Keyring } from '../src/platform/security/keyring.js';
import { hashPassword } from '../src/platform/security/passwords.js';
import { testKeysEnv } from './engine.js';
import { testLogger } from './logger.js';

/** The keys of `testKeysEnv`, as a keyring: tokens minted here verify in a server process given those variables. */
export const testKeyring: Keyring = {
  encryptionKeys: [{ id: 'test1', key: Buffer.from(testKeysEnv.ENCRYPTION_KEYS.split(':')[1] as string, 'base64') }],
  blindIndexKey: Buffer.from(testKeysEnv.BLIND_INDEX_KEY, 'base64'),
  tokenSigningKey: Buffer.from(testKeysEnv.TOKEN_SIGNING_KEY, 'base64'),
  credentialSigningKeys: [{ id: 'ctest1', seed: Buffer.from(testKeysEnv.CREDENTIAL_SIGNING_KEYS.split(':')[1] as string, 'base64') }],
};

/** Production lifetimes, and a public rate limit no test reaches unless it sets its own. */
export const testAuthSettings: AuthSettings = { accessTokenTtlSeconds: 900, refreshTokenTtlDays: 30, publicRateLimitPerMinute: 100_000 };

/** Production stream settings, with a feed that polls often so that tests need not wait for a wake-up. */
export const testStreamSettings: StreamSettings = { heartbeatMs: 15_000, bufferBytes: 1_048_576, feedPollMs: 50 };

export async function testAppDeps(db: Db, overrides: Partial<AppDeps> = {}): Promise<AppDeps> {
  return {
    db,
    logger: testLogger,
    redis: null,
    migrations: await readMigrationFiles(),
    keyring: testKeyring,
    auth: testAuthSettings,
    stream: testStreamSettings,
    publicUrl: null,
    ...overrides,
  };
}

/** The real application on a test database (close it after the test). */
export async function buildTestApp(db: Db, overrides: Partial<AppDeps> = {}): Promise<FastifyInstance> {
  return buildApp(await testAppDeps(db, overrides));
}

export const testPassword = 'correct horse battery staple';

export interface TestUser {
  id: string;
  role: Role;
  email: string;
  password: string;
}

export interface TestUserOptions {
  role: Role;
  email?: string;
  password?: string;
  /** Makes the user a member of this provider (an AP's provider). */
  providerId?: string;
  firstName?: string;
  lastName?: string;
}

/**
 * One real argon2id hash per password per test process: an account signs in with its password as in
 * production, but a file that makes hundreds of accounts pays for hashing once (20–40 ms each, more under load).
 */
const hashes = new Map<string, Promise<string>>();
const reusedHash = (password: string): Promise<string> => {
  let hash = hashes.get(password);
  if (!hash) hashes.set(password, (hash = hashPassword(password)));
  return hash;
};

/** An account with its profile, made by the real account code as the database owner; a unique e-mail unless given. */
export async function createUser(db: Db, keyring: Keyring, options: TestUserOptions): Promise<TestUser> {
  const email = options.email ?? `${options.role.toLowerCase()}-${randomUUID()}@example.test`;
  const password = options.password ?? testPassword;
  const id = await createAccount(
    { db, cipher: createFieldCipher(keyring), hashPassword: reusedHash },
    {
      role: options.role,
      email,
      password,
      firstName: options.firstName ?? 'Test',
      lastName: options.lastName ?? options.role,
      providerId: options.providerId ?? null,
    },
  );
  return { id, role: options.role, email, password };
}

/** An access token from the real signing code, without signing in (claims as given; the server still reloads the user). */
export async function mintAccessToken(
  keyring: Keyring,
  claims: { userId: string; role: Role; providerId?: string | null },
  options: { ttlSeconds?: number; now?: () => Date } = {},
): Promise<string> {
  const tokens = createAccessTokens(keyring.tokenSigningKey, { ttlSeconds: options.ttlSeconds ?? 900, ...(options.now ? { now: options.now } : {}) });
  return (await tokens.issue({ userId: claims.userId, role: claims.role, providerId: claims.providerId ?? null })).token;
}

/** Signs in through `POST /v1/auth/login` (an app, or the base URL of a running server) and returns the access token. */
export async function tokenFor(target: FastifyInstance | string, email: string, password: string): Promise<string> {
  const payload = { email, password };
  if (typeof target === 'string') {
    const response = await fetch(`${target}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    if (response.status !== 200) throw new Error(`sign-in failed with ${response.status}: ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  }
  const response = await target.inject({ method: 'POST', url: '/v1/auth/login', payload });
  if (response.statusCode !== 200) throw new Error(`sign-in failed with ${response.statusCode}: ${response.body}`);
  return response.json<{ access_token: string }>().access_token;
}

/** `{ authorization: 'Bearer …' }` for `inject` or `fetch`. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
