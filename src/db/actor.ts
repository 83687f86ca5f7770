import type { Tx } from './database.js';

export const roles = ['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN'] as const;
export type Role = (typeof roles)[number];

/** Signed-out callers (certificate verification, the public catalogue) act as ANON, with no user. */
export type ActorRole = Role | 'ANON';

/** Who is acting. Row-level security, audit triggers and the outbox read it from the transaction. */
export interface Actor {
  userId: string | null;
  role: ActorRole;
  providerId: string | null;
  requestId?: string | null;
  /** Where the request came from, for the audit log. */
  ip?: string | null;
  userAgent?: string | null;
}

/** The role every request runs as: it owns nothing and cannot bypass row-level security. */
export const applicationRole = 'unitrain_app';

/**
 * One statement on purpose: `set_config('role', ...)` is `SET LOCAL ROLE` in function form, so the
 * role and all claims are set in a single round trip, and all of it ends with the transaction.
 */
export async function applyActor(tx: Tx, actor: Actor): Promise<void> {
  await tx.query(
    `select set_config('role', $1, true), set_config('unitrain.user_id', $2, true),
            set_config('unitrain.role', $3, true), set_config('unitrain.provider_id', $4, true),
            set_config('unitrain.request_id', $5, true), set_config('unitrain.ip', $6, true),
            set_config('unitrain.user_agent', $7, true)`,
    [applicationRole, actor.userId ?? '', actor.role, actor.providerId ?? '', actor.requestId ?? '', actor.ip ?? '', actor.userAgent ?? ''],
  );
}

export function signedOutActor(request?: { requestId?: string | null; ip?: string | null; userAgent?: string | null }): Actor {
  return { userId: null, role: 'ANON', providerId: null, ...request };
}
