import { parseCookie } from 'cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Actor, type Role, signedOutActor } from '../db/actor.js';
import { AppError } from '../../errors.js';
import type { AccessTokens, VerifiedAccessClaims } from '../security/access-tokens.js';
import { commitMarkOf } from './read-your-writes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking: a signed-in user (role, status and provider as the database says now) or the signed-out actor. */
    actor: Actor;
    /** When the access token of this request expires (null: signed out). A stream ends then. */
    accessTokenExpiresAt: Date | null;
  }
  interface FastifyContextConfig {
    /**
     * The route also takes the access token from `?access_token=` or the `unitrain_access_token` cookie,
     * for browsers' EventSource, which cannot send headers. Query strings are never logged.
     */
    tokenInQueryOrCookie?: boolean;
  }
}

export const accessTokenCookie = 'unitrain_access_token';

function tokenOutsideHeader(request: FastifyRequest): string | undefined {
  if (request.routeOptions.config?.tokenInQueryOrCookie !== true) return undefined;
  const fromQuery = (request.query as Record<string, unknown> | undefined)?.['access_token'];
  if (typeof fromQuery === 'string' && fromQuery !== '') return fromQuery;
  const cookies = request.headers.cookie;
  return cookies === undefined ? undefined : parseCookie(cookies)[accessTokenCookie];
}

export interface SignedInActor extends Actor {
  userId: string;
  role: Role;
}

/** An account as the database says it is now: what a request acts as. */
export interface AccountState {
  id: string;
  role: Role;
  status: 'ACTIVE' | 'INACTIVE';
  provider_id: string | null;
}

export interface AuthenticationDeps {
  tokens: AccessTokens;
  /**
   * The account of a verified token (the auth module's query, given by buildApp: http imports no module):
   * a value when it is known without reading, else a promise of the read.
   */
  findAccount(userId: string): AccountState | null | Promise<AccountState | null>;
}

/** Long user agents are cut: the audit log keeps enough to recognise a client, not arbitrary input. */
const maximumUserAgentLength = 512;
const bearer = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i;
const bearerPrefix = 'Bearer ';

const unauthenticated = (message: string) => new AppError('UNAUTHENTICATED', message);

/** Where a request comes from: every actor carries it (the audit log's request id, address and client). */
type Origin = Pick<Actor, 'requestId' | 'ip' | 'userAgent' | 'commits'>;

/**
 * Resolves `request.actor` for every request. A bearer token is verified, then the user's current
 * role, status and provider are read from the database (one primary-key query), so a role change or
 * a deactivation applies to tokens already issued at once. No Authorization header: signed out.
 * A callback hook, not an async one: a signed-out request (every public verification) is resolved in
 * the same turn, without a promise and a microtask (decision 0072), and so is a signed-in one whose
 * token was verified before and whose account is known in memory (decision 0081).
 */
export function registerAuthentication(app: FastifyInstance, deps: AuthenticationDeps): void {
  app.decorateRequest('actor', null as unknown as Actor);
  app.decorateRequest('accessTokenExpiresAt', null);
  const signIn = (request: FastifyRequest, claims: VerifiedAccessClaims, origin: Origin, done: (error?: Error) => void): void => {
    const signedIn = (user: AccountState | null) => {
      if (!user || user.status !== 'ACTIVE') {
        done(unauthenticated('the account of this access token is not active'));
        return;
      }
      request.actor = { userId: user.id, role: user.role, providerId: user.provider_id, ...origin };
      request.accessTokenExpiresAt = claims.expiresAt;
      done();
    };
    const found = deps.findAccount(claims.userId);
    if (found instanceof Promise) found.then(signedIn, done);
    else signedIn(found);
  };
  app.addHook('onRequest', (request, _reply, done) => {
    const userAgent = request.headers['user-agent']?.slice(0, maximumUserAgentLength) ?? null;
    const origin: Origin = { requestId: request.id, ip: request.ip, userAgent, commits: commitMarkOf(request) };
    const header = request.headers.authorization;
    // A token verified before, sent as `Bearer <token>`: the header the pattern below matched then, so
    // neither the pattern nor the token is looked at again (decision 0104).
    const known = header?.startsWith(bearerPrefix) === true ? deps.tokens.known(header.slice(bearerPrefix.length)) : undefined;
    if (known !== undefined) {
      signIn(request, known, origin, done);
      return;
    }
    const token = header === undefined ? tokenOutsideHeader(request) : bearer.exec(header)?.[1];
    if (header === undefined && token === undefined) {
      request.actor = signedOutActor(origin);
      done();
    } else if (!token) {
      done(unauthenticated('the Authorization header must be "Bearer <access token>"'));
    } else {
      let claims: VerifiedAccessClaims;
      try {
        claims = deps.tokens.verify(token);
      } catch (error) {
        done(error as Error);
        return;
      }
      signIn(request, claims, origin, done);
    }
  });
}

/** The signed-in actor, or 401 for a signed-out request. */
export function requireSignedIn(request: FastifyRequest): SignedInActor {
  const { actor } = request;
  if (actor.userId === null || actor.role === 'ANON') throw unauthenticated('sign in first: this needs an access token');
  return actor as SignedInActor;
}

/** The signed-in actor when their role is one of `roles`; 401 signed out, 403 otherwise. */
export function requireRole(request: FastifyRequest, ...roles: Role[]): SignedInActor {
  const actor = requireSignedIn(request);
  if (!roles.includes(actor.role)) throw new AppError('FORBIDDEN', `this needs one of the roles ${roles.join(', ')}`);
  return actor;
}

/**
 * Route hooks (`onRequest: signedInOnly`) that refuse before the body is parsed or validated, so a
 * signed-out caller gets 401 and a caller in the wrong role 403, not a validation error. Callback hooks:
 * an async one costs every signed-in request a promise and a microtask (decision 0081).
 */
export function signedInOnly(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  refusing(() => requireSignedIn(request), done);
}

export function rolesOnly(...roles: Role[]): (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void {
  return (request, _reply, done) => refusing(() => requireRole(request, ...roles), done);
}

/** Calls `done` with what `check` throws, or with nothing. */
function refusing(check: () => unknown, done: (error?: Error) => void): void {
  try {
    check();
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
}
