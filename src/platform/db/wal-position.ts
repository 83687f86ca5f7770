/**
 * A position in PostgreSQL's write-ahead log as `pg_lsn` prints it (`16/B374D848`): what a commit wrote
 * up to on the primary, and what a streaming replica has replayed up to. Read-your-writes compares the two
 * (decision 0046).
 */
export type WalPosition = string;

const walPattern = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

/** A well-formed position, upper-cased; null for anything else (a client's cookie is only a hint). */
export function parseWalPosition(text: string | null | undefined): WalPosition | null {
  const match = walPattern.exec(text ?? '');
  return match ? `${(match[1] as string).toUpperCase()}/${(match[2] as string).toUpperCase()}` : null;
}

/** The byte offset of a position (PostgreSQL's two 32-bit halves). */
export function walOffset(position: WalPosition): bigint {
  const [high = '0', low = '0'] = position.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/** Whether `position` is at or after `required` (null requires nothing). */
export function walReached(position: WalPosition, required: WalPosition | null): boolean {
  return required === null || walOffset(position) >= walOffset(required);
}

/** The later of two positions (null: none). */
export function laterWalPosition(a: WalPosition | null | undefined, b: WalPosition | null | undefined): WalPosition | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return walOffset(a) >= walOffset(b) ? a : b;
}
