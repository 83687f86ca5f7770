import type { Role } from '../../platform/db/actor.js';
import type { Queryable, Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { rowTag } from '../../platform/cache/two-layer-cache.js';
import type { TablesByRole } from '../../platform/http/cached-as-caller.js';

// Reads go through the `_visible` views, which null the fields this actor may not see; row-level
// security on the tables under them decides which rows exist for the actor. Columns are always
// listed: the application role may not select `password_hash`.
const usersSource = 'users_visible';
const profilesSource = 'profiles_visible';

export type UserStatus = 'ACTIVE' | 'INACTIVE';

export interface UserRow {
  id: string;
  role: Role;
  status: UserStatus;
  email_ciphertext: string | null;
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  phone_ciphertext: string | null;
  provider_ids: string[];
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
  /** created_at as text with its microseconds: a page boundary that compares exactly. */
  created_at_key: string;
}

const userColumns = `u.id, u.role, u.status, u.email_ciphertext, p.first_name, p.last_name, p.display_name, p.phone_ciphertext,
  array(select m.provider_id from provider_members m where m.user_id = u.id order by m.created_at, m.provider_id) as provider_ids,
  u.last_login_at, u.created_at, u.updated_at, u.version, u.created_at::text as created_at_key`;

const fromUsers = `${usersSource} u left join ${profilesSource} p on p.user_id = u.id`;

/**
 * What a caller's own account (`/v1/me`, decision 0094) depends on, per role: the three tables it reads,
 * and for AP, IC and IP what their SELECT policies on those tables read (the role's provider scope, the
 * students it teaches). Held equal to the catalogue by rls-catalogue.test.ts.
 */
const ownAccountTables = ['users', 'profiles', 'provider_members'];
const instructedTables = [...ownAccountTables, 'rosters', 'session_enrollments', 'student_roster_members', 'training_sessions'];
export const meTables: TablesByRole = {
  SA: ownAccountTables,
  AD: ownAccountTables,
  AP: [...instructedTables, 'instructor_profiles', 'provider_locations'],
  IC: instructedTables,
  IP: instructedTables,
  IT: ownAccountTables,
  IN: ownAccountTables,
};

/**
 * The tags of one caller's `/v1/me`: `meTables`, with `users` narrowed to the caller's own row (decision
 * 0102). The statement reads that row only, and every role's `users_select_self` policy admits it whatever
 * its other policies say, so no other account's change (a sign-in's `last_login_at`) can alter the answer.
 * `profiles` and `provider_members` stay whole: change_log names their rows by their own ids, and an
 * update that moved one from an account to another would name only where it went.
 */
export function meTagsOf(role: Role, userId: string): readonly string[] {
  return meTables[role].map((table) => (table === 'users' ? rowTag('users', userId) : table));
}

// Built once: a text made per call is a new string, hashed again to find its prepared statement's name.
const selectUserText = `select ${userColumns} from ${fromUsers} where u.id = $1`;

export async function selectUser(executor: Queryable, id: string): Promise<UserRow | null> {
  const { rows } = await executor.query<UserRow>(selectUserText, [id]);
  return rows[0] ?? null;
}

export interface UserFilter {
  role?: Role | undefined;
  status?: UserStatus | undefined;
  ids?: string[] | undefined;
  /** A name's start (any case) or an e-mail's blind index: the search a person picker makes. */
  search?: { namePrefix: string; emailHmac: string } | undefined;
  /** Rows strictly after this (created_at, id), newest first. */
  after?: { createdAt: string; id: string } | undefined;
  limit: number;
}

export async function selectUsers(tx: Tx, filter: UserFilter): Promise<{ rows: UserRow[]; total: number }> {
  // The e-mail is compared by its blind index, which the view shows only to those who may see e-mails.
  const where = `($1::text is null or u.role = $1) and ($2::text is null or u.status = $2) and ($3::uuid[] is null or u.id = any($3::uuid[]))
    and ($4::text is null or p.first_name ilike $4 or p.last_name ilike $4 or p.display_name ilike $4
         or (p.first_name || ' ' || p.last_name) ilike $4 or u.email_hmac = $5)`;
  const namePattern = filter.search ? `${filter.search.namePrefix.replace(/[\\%_]/g, (character) => `\\${character}`)}%` : null;
  const matching = [filter.role ?? null, filter.status ?? null, filter.ids ?? null, namePattern, filter.search?.emailHmac ?? null];
  const { rows } = await tx.query<UserRow>(
    `select ${userColumns} from ${fromUsers}
      where ${where} and ($6::timestamptz is null or (u.created_at, u.id) < ($6::timestamptz, $7::uuid))
      order by u.created_at desc, u.id desc limit $8`,
    [...matching, filter.after?.createdAt ?? null, filter.after?.id ?? null, filter.limit],
  );
  const counted = await tx.query<{ total: number }>(`select count(*)::int as total from ${fromUsers} where ${where}`, matching);
  return { rows, total: counted.rows[0]?.total ?? 0 };
}

export interface NewUser {
  role: Role;
  emailCiphertext: string;
  emailHmac: string;
  passwordHash: string | null;
  firstName: string;
  lastName: string;
  phoneCiphertext: string | null;
}

const isEmailTaken = (error: unknown) =>
  (error as { code?: string }).code === '23505' && (error as { constraint?: string }).constraint === 'users_email_hmac_key';

/** Inserts the account and its profile; `EMAIL_TAKEN` when the e-mail's blind index is already in use. */
export async function insertUser(tx: Tx, user: NewUser): Promise<string> {
  let id: string;
  try {
    const { rows } = await tx.query<{ id: string }>(
      `insert into users (email_ciphertext, email_hmac, password_hash, role) values ($1, $2, $3, $4) returning id`,
      [user.emailCiphertext, user.emailHmac, user.passwordHash, user.role],
    );
    id = (rows[0] as { id: string }).id;
  } catch (error) {
    if (isEmailTaken(error)) throw new AppError('EMAIL_TAKEN', 'an account with this e-mail already exists', { field: 'body.email' }, { cause: error });
    throw error;
  }
  // The profile repeats role and status: its composite foreign key keeps them equal to the user's.
  await tx.query(
    `insert into profiles (user_id, first_name, last_name, email_ciphertext, phone_ciphertext, role, status)
     values ($1, $2, $3, $4, $5, $6, 'ACTIVE')`,
    [id, user.firstName, user.lastName, user.emailCiphertext, user.phoneCiphertext, user.role],
  );
  return id;
}

export async function insertProviderMembership(tx: Tx, userId: string, providerId: string): Promise<void> {
  await tx.query(`insert into provider_members (provider_id, user_id, member_role) values ($1, $2, 'STAFF')`, [providerId, userId]);
}

export interface UserChanges {
  role?: Role | undefined;
  status?: UserStatus | undefined;
}

/**
 * Applies the changes when the row is still at `version` (every update moves it, see
 * set_row_version); `expectedVersion` null updates whatever the version. False when no row matched:
 * missing, not visible or not writable for this actor, or stale.
 */
export async function updateUser(tx: Tx, id: string, expectedVersion: number | null, changes: UserChanges): Promise<boolean> {
  const { rowCount } = await tx.query(
    `update users set role = coalesce($3, role), status = coalesce($4, status)
      where id = $1 and ($2::int is null or version = $2)`,
    [id, expectedVersion, changes.role ?? null, changes.status ?? null],
  );
  return rowCount > 0;
}

export async function updateProfileNames(tx: Tx, userId: string, names: { firstName?: string | undefined; lastName?: string | undefined }): Promise<void> {
  await tx.query('update profiles set first_name = coalesce($2, first_name), last_name = coalesce($3, last_name) where user_id = $1', [
    userId,
    names.firstName ?? null,
    names.lastName ?? null,
  ]);
}

/**
 * Whether any account, whatever its role, has this e-mail's blind index. Run as the owner: an AD does
 * not see SA accounts, and an invitation to an address that has one must still be refused.
 */
export async function emailHasAccount(executor: Queryable, emailHmac: string): Promise<boolean> {
  const { rows } = await executor.query<{ found: boolean }>('select exists (select 1 from users where email_hmac = $1) as found', [emailHmac]);
  return rows[0]?.found === true;
}

export async function hasSystemAdministrator(executor: Queryable): Promise<boolean> {
  const { rows } = await executor.query<{ found: boolean }>(`select exists (select 1 from users where role = 'SA') as found`);
  return rows[0]?.found === true;
}

/** Held until the transaction ends: concurrent first starts on one database create one administrator. */
export async function lockInitialAdministrator(tx: Tx): Promise<void> {
  await tx.query('select pg_advisory_xact_lock($1)', [initialAdministratorLockKey]);
}

const initialAdministratorLockKey = 6_112_984_503_117_052;
