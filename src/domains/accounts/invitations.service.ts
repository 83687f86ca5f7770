import type { Actor, Role } from '../../platform/db/actor.js';
import type { Db, Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { type FieldCipher, normaliseEmail } from '../../platform/security/field-cipher.js';
import { assertAcceptablePassword, hashPassword } from '../../platform/security/passwords.js';
import { decodeCursor, encodeCursor, timestampCursorText } from '../../platform/shared/crud/cursor.js';
import { insertJob } from '../../platform/jobs/index.js';
import { emailHasAccount, getUser, insertAccount, type User } from '../users/index.js';
import { accountTokenLifetimes, hashAccountToken, type TokenRefusal } from './account-tokens.js';
import { findToken, spendToken } from './account-tokens.repository.js';
import { invitationMailHandler, type InvitationMailPayload } from './account-mail.js';
import {
  insertInvitation,
  type InvitationRow,
  type InvitationStatus,
  lockInvitation,
  markInvitationAccepted,
  markInvitationRevoked,
  renewInvitation,
  selectInvitation,
  selectInvitations,
} from './invitations.repository.js';

export interface InvitationsDeps {
  db: Db;
  cipher: FieldCipher;
  /** The clock expiries are measured by (tests move it). */
  now: () => Date;
}

/** An invitation as the API shows it: the row, its e-mail decrypted, without the page key. */
export type Invitation = Omit<InvitationRow, 'email_ciphertext' | 'created_at_key'> & { email: string };

function toInvitation(cipher: FieldCipher, { email_ciphertext, created_at_key: _, ...row }: InvitationRow): Invitation {
  return { ...row, email: cipher.decrypt(email_ciphertext) };
}

const notFound = (id: string) => new AppError('NOT_FOUND', `no invitation ${id}`, { field: 'params.id' });
const expiryFrom = (now: Date) => new Date(now.getTime() + accountTokenLifetimes.invitationDays * 86_400_000);

/** The mail of this generation, queued in the transaction that made it due: it goes out after the commit. */
async function queueInvitationMail(tx: Tx, payload: InvitationMailPayload): Promise<void> {
  await insertJob(tx, { handler: invitationMailHandler, payload: { ...payload }, maxAttempts: 15 });
}

export interface NewInvitationInput {
  email: string;
  role: Role;
  providerId?: string | undefined;
}

/**
 * Invites an address to a role (an AP to a provider) and queues its mail. Row-level security decides
 * whether `actor` may (SA anyone, AD anyone but an SA: 403). An address that already has an account,
 * whatever its role, is refused with 409 (looked up as the owner, since an AD does not see SAs).
 */
export async function createInvitation(deps: InvitationsDeps, actor: Actor, input: NewInvitationInput, pageUrl: string): Promise<Invitation> {
  const { db, cipher } = deps;
  if (input.role === 'AP' && !input.providerId) throw new AppError('VALIDATION_FAILED', 'an AP is invited into a provider: provider_id is required', { field: 'body.provider_id' });
  if (input.role !== 'AP' && input.providerId) throw new AppError('VALIDATION_FAILED', 'provider_id is only for AP invitations', { field: 'body.provider_id' });
  const email = input.email.trim();
  const emailHmac = cipher.blindIndex(normaliseEmail(email));
  if (await emailHasAccount(db, emailHmac)) throw new AppError('EMAIL_TAKEN', 'an account with this e-mail already exists', { field: 'body.email' });
  const now = deps.now();
  return db.withActor(actor, async (tx) => {
    const id = await insertInvitation(tx, {
      emailCiphertext: cipher.encrypt(email), emailHmac, role: input.role, providerId: input.providerId ?? null, expiresAt: expiryFrom(now), invitedBy: actor.userId,
    });
    await queueInvitationMail(tx, { invitation_id: id, mail_generation: 1, page_url: pageUrl });
    return toInvitation(cipher, (await selectInvitation(tx, now, id)) as InvitationRow);
  });
}

export async function getInvitation(deps: InvitationsDeps, actor: Actor, id: string): Promise<Invitation> {
  const row = await deps.db.withActor(actor, (tx) => selectInvitation(tx, deps.now(), id));
  if (!row) throw notFound(id);
  return toInvitation(deps.cipher, row);
}

export interface InvitationListQuery {
  status?: InvitationStatus | undefined;
  limit: number;
  cursor?: string | undefined;
}

const listOrder = 'created_at';

/** Newest first, a page at a time, with the status as of now (EXPIRED included). */
export async function listInvitations(deps: InvitationsDeps, actor: Actor, query: InvitationListQuery) {
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, listOrder);
  const after = cursor && typeof cursor.value === 'string' && timestampCursorText.test(cursor.value) ? { createdAt: cursor.value, id: cursor.id } : undefined;
  if (cursor && !after) throw new AppError('VALIDATION_FAILED', 'cursor is not one this API returned', { field: 'querystring.cursor' });
  const { rows, total } = await deps.db.withActor(actor, (tx) => selectInvitations(tx, deps.now(), { status: query.status, after, limit: query.limit + 1 }));
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => toInvitation(deps.cipher, row)),
    next_cursor: rows.length > query.limit && last ? encodeCursor({ sort: listOrder, value: last.created_at_key, id: last.id }) : null,
    total,
  };
}

/** Explains a refused resend or revoke: 404 when the actor cannot see the invitation, else 409 with it. */
async function refuseChange(deps: InvitationsDeps, tx: Tx, id: string, now: Date, what: string): Promise<never> {
  const row = await selectInvitation(tx, now, id);
  if (!row) throw notFound(id);
  throw new AppError('INVALID_TRANSITION', `the invitation is ${row.status}: only a pending or expired one can be ${what}`, {
    field: 'params.id', current: toInvitation(deps.cipher, row),
  });
}

/**
 * A new link with a new expiry: the mail generation moves, so the link mailed before stops working at
 * once, and a new mail is queued. Only an open invitation (PENDING or EXPIRED) can be resent.
 */
export async function resendInvitation(deps: InvitationsDeps, actor: Actor, id: string, pageUrl: string): Promise<Invitation> {
  const now = deps.now();
  return deps.db.withActor(actor, async (tx) => {
    const generation = await renewInvitation(tx, id, expiryFrom(now));
    if (generation === null) return refuseChange(deps, tx, id, now, 'resent');
    await queueInvitationMail(tx, { invitation_id: id, mail_generation: generation, page_url: pageUrl });
    return toInvitation(deps.cipher, (await selectInvitation(tx, now, id)) as InvitationRow);
  });
}

/** Ends an open invitation: its link opens nothing from now on. */
export async function revokeInvitation(deps: InvitationsDeps, actor: Actor, id: string): Promise<Invitation> {
  const now = deps.now();
  return deps.db.withActor(actor, async (tx) => {
    if (!(await markInvitationRevoked(tx, id, actor.userId, now))) return refuseChange(deps, tx, id, now, 'revoked');
    return toInvitation(deps.cipher, (await selectInvitation(tx, now, id)) as InvitationRow);
  });
}

export interface Acceptance {
  token: string;
  password: string;
  firstName: string;
  lastName: string;
}

const refusals: Record<TokenRefusal, string> = {
  UNKNOWN: 'this invitation link is not valid',
  USED: 'this invitation link was already used',
  REPLACED: 'this invitation link was replaced by a newer one: use the link of the latest mail',
  EXPIRED: 'this invitation has expired: ask for a new one',
  REVOKED: 'this invitation was revoked',
  ACCEPTED: 'this invitation was already accepted: sign in',
};

const refused = (reason: TokenRefusal) => new AppError('INVALID_TOKEN', refusals[reason], { field: 'body.token', reason });

/**
 * The invitee sets a password (and names) and gets an active account with the invited role (and
 * provider). Runs as the owner: there is no actor before the account exists. The invitation row is
 * locked first, so two accepts of one link make one account; the other is refused (ACCEPTED).
 * Returns the account as its owner sees it (GET /v1/me).
 */
export async function acceptInvitation(deps: InvitationsDeps, acceptance: Acceptance): Promise<User> {
  const { db } = deps;
  assertAcceptablePassword(acceptance.password, 'body.password');
  const tokenHash = hashAccountToken(acceptance.token);
  const presented = await db.transaction((tx) => findToken(tx, 'INVITATION', tokenHash));
  if (!presented?.invitation_id) throw refused('UNKNOWN');
  const invitationId = presented.invitation_id;
  // Hashing takes tens of milliseconds: before the transaction, and only for a link that exists.
  const passwordHash = await hashPassword(acceptance.password);
  const now = deps.now();
  const account = await db.transaction(async (tx) => {
    const invitation = await lockInvitation(tx, invitationId);
    const token = await findToken(tx, 'INVITATION', tokenHash);
    if (!invitation || !token) throw refused('UNKNOWN');
    if (invitation.status === 'ACCEPTED') throw refused('ACCEPTED');
    if (invitation.status === 'REVOKED') throw refused('REVOKED');
    if (token.used_at) throw refused('USED');
    if (token.revoked_at || token.mail_generation !== invitation.mail_generation) throw refused('REPLACED');
    if (invitation.expires_at <= now || token.expires_at <= now || !(await spendToken(tx, token.id, now))) throw refused('EXPIRED');
    const userId = await insertAccount(tx, {
      role: invitation.role, emailCiphertext: invitation.email_ciphertext, emailHmac: invitation.email_hmac, passwordHash,
      firstName: acceptance.firstName, lastName: acceptance.lastName, phoneCiphertext: null, providerId: invitation.provider_id,
    }).catch((error: unknown) => {
      // An account with the address was made since the invitation (POST /v1/users): nothing changes.
      if (error instanceof AppError && error.code === 'EMAIL_TAKEN') {
        throw new AppError('EMAIL_TAKEN', 'an account with the invited e-mail exists already: sign in, or reset its password', { field: 'body.token' });
      }
      throw error;
    });
    await markInvitationAccepted(tx, invitationId, userId, now);
    return { userId, role: invitation.role, providerId: invitation.provider_id };
  });
  // Made as the owner, so not on the account's commit mark: read from the primary.
  return getUser(deps, account, account.userId, 'primary');
}
