import { AppError } from '../../errors.js';

/**
 * A point in the change feed's delivery order. Sequence order is not commit order (a transaction that
 * took seq 7 may commit after the one that took seq 9), so the feed delivers rows in (txid, seq) order,
 * and only rows whose transaction id is below the snapshot's frontier (its oldest open transaction that
 * may be this database's, decision 0083), whose transactions have all ended. A position (t, s) means
 * "every row before (t, s) in that order has been considered". `(frontier, 0)` is the position after a
 * read that reached every settled row. Written as `<txid>.<seq>` in SSE ids.
 */
export interface ChangePosition {
  readonly txid: bigint;
  readonly seq: bigint;
}

const positionPattern = /^(\d{1,20})\.(\d{1,20})$/;

export function formatPosition(position: ChangePosition): string {
  return `${position.txid}.${position.seq}`;
}

/** Parses a `<txid>.<seq>` position from a client (Last-Event-ID or `since`): 400 when malformed. */
export function parsePosition(text: string, field: string): ChangePosition {
  const match = positionPattern.exec(text.trim());
  if (!match) {
    throw new AppError('VALIDATION_FAILED', `${field} must be a stream position like "1234.56" (the id of an event)`, { field });
  }
  return { txid: BigInt(match[1] as string), seq: BigInt(match[2] as string) };
}

export function comparePositions(a: ChangePosition, b: ChangePosition): number {
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

export function laterPosition(a: ChangePosition, b: ChangePosition): ChangePosition {
  return comparePositions(a, b) >= 0 ? a : b;
}
