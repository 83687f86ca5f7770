import type { WalPosition } from './wal-position.js';

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
  /**
   * Read-your-writes (decision 0046): the client's last commit as its request said (cookie or header),
   * raised by the request's own writing transactions (`Db.withActor`). Reads through `Db.reader` see at
   * least this. Absent for actors that are not a client's (jobs, commands).
   */
  commits?: CommitMark;
}

/** The newest commit a client must see, as a WAL position of the primary; null: none known. */
export interface CommitMark {
  position: WalPosition | null;
}

export function signedOutActor(request?: { requestId?: string | null; ip?: string | null; userAgent?: string | null }): Actor {
  return { userId: null, role: 'ANON', providerId: null, ...request };
}
