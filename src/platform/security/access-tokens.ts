import { randomUUID } from 'node:crypto';
import { createVerifier, type VerifierOptions } from 'fast-jwt';
import { SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { type Role, roles } from '../db/actor.js';
import { AppError } from '../../errors.js';

/** Who a verified access token speaks for. The authenticate plugin still reloads role and status per request. */
export interface AccessClaims {
  userId: string;
  role: Role;
  providerId: string | null;
}

export interface VerifiedAccessClaims extends AccessClaims {
  expiresAt: Date;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
}

export interface AccessTokens {
  issue(claims: AccessClaims): Promise<IssuedAccessToken>;
  /**
   * The claims, or throws `UNAUTHENTICATED` for anything not signed by us, expired or malformed. Synchronous
   * (HMAC is): a request with a token seen before is signed in without a promise (decision 0081).
   */
  verify(token: string): VerifiedAccessClaims;
  /**
   * The claims of `token` when this very token was verified before and has not expired; otherwise
   * undefined (then `verify` it). Neither parses nor checks anything else.
   */
  known(token: string): VerifiedAccessClaims | undefined;
}

export const tokenIssuer = 'unitrain';
export const tokenAudience = 'unitrain-api';
const algorithm = 'HS256' as const;
/** Far above any token we issue; a longer header is refused without parsing it. */
const maximumTokenLength = 4096;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Tokens whose verification is kept (fast-jwt's LRU); more than the clients one process serves at once. */
const verifiedTokensKept = 10_000;

const refused = (cause?: unknown) => new AppError('UNAUTHENTICATED', 'the access token is invalid or has expired', undefined, { cause });

/**
 * Short-lived JWTs signed with HMAC-SHA256. Verification pins the algorithm, issuer and audience:
 * a token with `alg: none`, another algorithm, another issuer or audience is refused, whatever it claims.
 * Every request verifies one, so verification is fast-jwt's (node:crypto's HMAC, synchronous): jose
 * verifies through Web Crypto, whose job per call cost about a tenth of the server's CPU on `GET /v1/me`
 * (CPU profile, decision 0041). Issuing, once per sign-in or refresh, stays with jose.
 */
export function createAccessTokens(signingKey: Buffer, options: { ttlSeconds: number; now?: () => Date }): AccessTokens {
  const key = new Uint8Array(signingKey);
  const now = options.now ?? (() => new Date());
  const verifierOptions: Partial<VerifierOptions> & { key: Buffer } = {
    key: signingKey,
    algorithms: [algorithm],
    allowedIss: tokenIssuer,
    allowedAud: tokenAudience,
    requiredClaims: ['sub', 'iat', 'exp', 'jti'],
  };
  // The verifier reads the clock it was made with: one for the real clock, one per call for a test's clock.
  // The real clock's keeps what it verified, keyed by the token's SHA-256, until the token expires: a client
  // sends the same token with every request, and checking it again cost 5–7 % of a cached answer's CPU
  // (decision 0063). A token refused once is refused again without the work (fast-jwt's errorCacheTTL).
  const realClockVerifier = createVerifier({ ...verifierOptions, cache: verifiedTokensKept });
  const verifierNow = options.now
    ? () => createVerifier({ ...verifierOptions, clockTimestamp: now().getTime() })
    : () => realClockVerifier;
  // In front of it, the claims of a token verified on the real clock, by the token itself, until it expires:
  // the SHA-256 of the key cost 3 % of `GET /v1/me`'s CPU (decision 0067). The process holds the signing
  // key, so a token kept in its memory reveals nothing its memory does not already.
  // Kept by the token's signature, its last 43 characters (a key of an eighth of the token's length, hashed on
  // every request: decision 0104), and answered only for the very token that was verified.
  const verified = options.now ? null : new LRUCache<string, { token: string; claims: VerifiedAccessClaims }>({ max: verifiedTokensKept });
  const signatureOf = (token: string) => token.slice(token.lastIndexOf('.') + 1);
  const known = (token: string): VerifiedAccessClaims | undefined => {
    const kept = verified?.get(signatureOf(token));
    return kept !== undefined && kept.token === token && Date.now() < kept.claims.expiresAt.getTime() ? kept.claims : undefined;
  };
  return {
    async issue(claims) {
      const issuedAt = Math.floor(now().getTime() / 1000);
      const token = await new SignJWT({ role: claims.role, pid: claims.providerId })
        .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
        .setSubject(claims.userId)
        .setIssuer(tokenIssuer)
        .setAudience(tokenAudience)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + options.ttlSeconds)
        .setJti(randomUUID())
        .sign(key);
      return { token, expiresIn: options.ttlSeconds };
    },
    known,
    verify(token) {
      const before = known(token);
      if (before !== undefined) return before;
      if (token.length > maximumTokenLength) throw refused();
      let payload: Record<string, unknown>;
      try {
        payload = verifierNow()(token) as Record<string, unknown>;
      } catch (error) {
        throw refused(error);
      }
      const { sub, role, pid, exp } = payload;
      if (typeof sub !== 'string' || !uuidPattern.test(sub)) throw refused();
      if (typeof role !== 'string' || !(roles as readonly string[]).includes(role)) throw refused();
      if (pid !== null && (typeof pid !== 'string' || !uuidPattern.test(pid))) throw refused();
      const claims = { userId: sub, role: role as Role, providerId: pid, expiresAt: new Date((exp as number) * 1000) };
      verified?.set(signatureOf(token), { token, claims });
      return claims;
    },
  };
}
