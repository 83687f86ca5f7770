import { randomBytes } from 'node:crypto';
import type { Actor, Role } from '../../platform/db/actor.js';
import type { Db, Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { type FieldCipher, normaliseEmail } from '../../platform/security/field-cipher.js';
import { assertAcceptablePassword, hashPassword } from '../../platform/security/passwords.js';
import { decodeCursor, encodeCursor } from '../../platform/shared/crud/cursor.js';
import { type NowOrLater, whenReady } from '../../platform/shared/now-or-later.js';
import type { TwoLayerCache } from '../../platform/cache/two-layer-cache.js';
import type { SignedInActor } from '../../platform/http/authenticate.js';
import { cachedAsCaller, createMemo, createPresentedOnce } from '../../platform/http/cached-as-caller.js';
import {
  hasSystemAdministrator,
  insertProviderMembership,
  insertUser,
  lockInitialAdministrator,
  meTagsOf,
  selectUser,
  selectUsers,
  updateProfileNames,
  updateUser,
  type UserRow,
  type UserStatus,
} from './users.repository.js';

/** A user as the API shows it: contact fields decrypted, or null where this actor may not see them. */
export interface User {
  id: string;
  role: Role;
  status: UserStatus;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  phone: string | null;
  provider_ids: string[];
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface NewAccount {
  role: Role;
  email: string;
  /** Absent: the account exists but cannot sign in until a password is set. */
  password?: string | null | undefined;
  firstName: string;
  lastName: string;
  phone?: string | null | undefined;
  /** The provider an AP account belongs to. */
  providerId?: string | null | undefined;
}

function toUser(cipher: FieldCipher, row: UserRow): User {
  return {
    id: row.id,
    role: row.role,
    status: row.status,
    email: row.email_ciphertext === null ? null : cipher.decrypt(row.email_ciphertext),
    first_name: row.first_name,
    last_name: row.last_name,
    display_name: row.display_name,
    phone: row.phone_ciphertext === null ? null : cipher.decrypt(row.phone_ciphertext),
    provider_ids: row.provider_ids,
    last_login_at: row.last_login_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
    version: row.version,
  };
}

const emailShape = /^[^@\s]+@[^@\s]+$/;

/** Checks, hashes and encrypts outside any transaction: hashing takes tens of milliseconds. */
export async function prepareAccount(cipher: FieldCipher, account: NewAccount, hash: (password: string) => Promise<string> = hashPassword) {
  if (!emailShape.test(account.email.trim()) || account.email.length > 320) {
    throw new AppError('VALIDATION_FAILED', 'email must be an e-mail address', { field: 'body.email' });
  }
  if (account.password !== undefined && account.password !== null) assertAcceptablePassword(account.password, 'body.password');
  if (account.providerId && account.role !== 'AP') {
    throw new AppError('VALIDATION_FAILED', 'provider_id is only for AP accounts (provider membership)', { field: 'body.provider_id' });
  }
  const email = account.email.trim();
  return {
    role: account.role,
    emailCiphertext: cipher.encrypt(email),
    emailHmac: cipher.blindIndex(normaliseEmail(email)),
    passwordHash: account.password ? await hash(account.password) : null,
    firstName: account.firstName,
    lastName: account.lastName,
    phoneCiphertext: account.phone ? cipher.encrypt(account.phone) : null,
    providerId: account.providerId ?? null,
  };
}

export type PreparedAccount = Awaited<ReturnType<typeof prepareAccount>>;

/** Inserts a prepared account (and its provider membership) in `tx`, as whoever `tx` acts for; returns its id. */
export async function insertAccount(tx: Tx, prepared: PreparedAccount): Promise<string> {
  const id = await insertUser(tx, prepared);
  if (prepared.providerId) await insertProviderMembership(tx, id, prepared.providerId);
  return id;
}

export interface UsersDeps {
  db: Db;
  cipher: FieldCipher;
}

/** Creates an account as `actor`: row-level security decides whether this actor may (AD never creates an SA). */
export async function createUser({ db, cipher }: UsersDeps, actor: Actor, account: NewAccount): Promise<User> {
  const prepared = await prepareAccount(cipher, account);
  return db.withActor(actor, async (tx) => {
    const id = await insertAccount(tx, prepared);
    return toUser(cipher, (await selectUser(tx, id)) as UserRow);
  });
}

/**
 * Creates an account as the database owner, for the operator's command line; returns its id.
 * `hashPassword`: test factories reuse one real hash per password instead of paying argon2 per account.
 */
export async function createAccount(
  { db, cipher, hashPassword: hash }: UsersDeps & { hashPassword?: (password: string) => Promise<string> },
  account: NewAccount,
): Promise<string> {
  const prepared = await prepareAccount(cipher, account, hash);
  return db.transaction((tx) => insertAccount(tx, prepared));
}

/**
 * On a database without a system administrator, creates one with a random one-time password and
 * returns it; otherwise null. Concurrent first starts serialise on an advisory lock and check again.
 */
export async function ensureInitialAdministrator({ db, cipher }: UsersDeps, email: string): Promise<{ email: string; password: string } | null> {
  if (await hasSystemAdministrator(db)) return null;
  const password = randomBytes(18).toString('base64url');
  const prepared = await prepareAccount(cipher, { role: 'SA', email, password, firstName: 'System', lastName: 'Administrator' });
  const created = await db.transaction(async (tx) => {
    await lockInitialAdministrator(tx);
    if (await hasSystemAdministrator(tx)) return false;
    await insertAccount(tx, prepared);
    return true;
  });
  return created ? { email, password } : null;
}

const notFound = (id: string) => new AppError('NOT_FOUND', `no user ${id}`);

/** One user as `actor` sees it; 404 when row-level security hides it (AD never sees an SA). */
/**
 * One user as `actor` may see it. Read through `db.reader` (a replica, when one is configured and has
 * the actor's own writes); `primary` right after a write the actor's commit mark does not carry.
 */
export async function getUser({ db, cipher }: UsersDeps, actor: Actor, id: string, from: 'reader' | 'primary' = 'reader'): Promise<User> {
  const read = (tx: Tx) => selectUser(tx, id);
  const row = await (from === 'reader' ? db.reader.withActor(actor, read) : db.withActor(actor, read));
  if (!row) throw notFound(id);
  return toUser(cipher, row);
}

/**
 * The caller's own account (`GET /v1/me`), from the answer cache (decision 0094): the stored row (contact
 * fields still sealed, so Redis holds only ciphertext) keyed by the caller. Made where the route is
 * registered: its presenter keeps each cached row's presentation for as long as that row is held, and
 * goes with the app. An answer from memory is the user itself, not a promise of it (decision 0104).
 */
export function createGetMe(deps: UsersDeps & { cache: TwoLayerCache }): (actor: SignedInActor, options: { noCache: boolean }) => NowOrLater<User> {
  const present = createPresentedOnce((row: UserRow) => toUser(deps.cipher, row));
  // A caller's tags, made once per account and role rather than on every read (decision 0110).
  const tagsByAccountAndRole = createMemo<readonly string[]>(1_000);
  const tagsOf = (actor: SignedInActor) => tagsByAccountAndRole(`${actor.role}:${actor.userId}`, () => meTagsOf(actor.role, actor.userId));
  return (actor, options) => {
    const row = cachedAsCaller(
      // Not 'me': a process from before decision 0102 reads a row tag as a table's, and would keep this entry through a change to the row.
      deps.cache, actor, 'me-tagged-by-row', tagsOf(actor),
      (after) => deps.db.reader.withActor(actor, (tx) => selectUser(tx, actor.userId), after),
      options,
    );
    // From memory: no promise, so the route can answer in this turn (decision 0104).
    return whenReady(row, (read) => {
      if (!read) throw notFound(actor.userId);
      return present(read);
    });
  };
}

export interface UserListQuery {
  role?: Role | undefined;
  status?: UserStatus | undefined;
  id?: string[] | undefined;
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface UserPage {
  items: User[];
  next_cursor: string | null;
  total: number;
}

const listOrder = 'created_at';

function searchOf(cipher: FieldCipher, q: string | undefined): { namePrefix: string; emailHmac: string } | undefined {
  const text = q?.trim();
  return text ? { namePrefix: text, emailHmac: cipher.blindIndex(normaliseEmail(text)) } : undefined;
}

/** Newest first, a page at a time; only the users `actor` may see. */
export async function listUsers({ db, cipher }: UsersDeps, actor: Actor, query: UserListQuery): Promise<UserPage> {
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, listOrder);
  const after = cursor && typeof cursor.value === 'string' ? { createdAt: cursor.value, id: cursor.id } : undefined;
  if (cursor && !after) throw new AppError('VALIDATION_FAILED', 'cursor is not one this API returned', { field: 'querystring.cursor' });
  const { rows, total } = await db.withActor(actor, (tx) =>
    selectUsers(tx, { role: query.role, status: query.status, ids: query.id, search: searchOf(cipher, query.q), after, limit: query.limit + 1 }),
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const more = rows.length > query.limit && last !== undefined;
  return {
    items: page.map((row) => toUser(cipher, row)),
    next_cursor: more ? encodeCursor({ sort: listOrder, value: last.created_at_key, id: last.id }) : null,
    total,
  };
}

export interface UserChange {
  version: number;
  role?: Role | undefined;
  status?: UserStatus | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
}

/**
 * Changes role, status and names when `version` is still current. Nothing matched: 409 with the
 * current user when this actor can see it (stale version), 404 when it cannot. A change the actor
 * may not make (AD making someone an SA) is refused by row-level security (403).
 */
export async function changeUser({ db, cipher }: UsersDeps, actor: Actor, id: string, change: UserChange): Promise<User> {
  const { role, status, firstName, lastName } = change;
  if ([role, status, firstName, lastName].every((value) => value === undefined)) {
    throw new AppError('VALIDATION_FAILED', 'send at least one of role, status, first_name, last_name', { field: 'body' });
  }
  const outcome = await db.withActor(actor, async (tx) => {
    const updated = await updateUser(tx, id, change.version, { role, status });
    if (updated && (firstName !== undefined || lastName !== undefined)) await updateProfileNames(tx, id, { firstName, lastName });
    return { updated, row: await selectUser(tx, id) };
  });
  if (!outcome.row) throw notFound(id);
  const user = toUser(cipher, outcome.row);
  if (!outcome.updated) {
    if (outcome.row.version === change.version) throw new AppError('FORBIDDEN', `not allowed to change user ${id}`);
    throw new AppError('VERSION_CONFLICT', `user ${id} has changed since version ${change.version}`, { field: 'body.version', current: user });
  }
  return user;
}

/** Deactivates an account: its access tokens stop working at once (see http/authenticate.ts), and it cannot sign in or refresh. */
export async function deactivateUser({ db, cipher }: UsersDeps, actor: Actor, id: string): Promise<User> {
  if (actor.userId === id) throw new AppError('CONFLICT', 'an account cannot deactivate itself');
  const row = await db.withActor(actor, async (tx) => ((await updateUser(tx, id, null, { status: 'INACTIVE' })) ? selectUser(tx, id) : null));
  if (!row) throw notFound(id);
  return toUser(cipher, row);
}
