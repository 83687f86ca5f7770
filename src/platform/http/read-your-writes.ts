import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CommitMark } from '../db/actor.js';
import { parseWalPosition } from '../db/wal-position.js';

/**
 * Read-your-writes across a replica (decision 0046). A response to a request that committed a write
 * carries the WAL position after that commit, as a cookie (browsers send it back by themselves) and a
 * header (for other clients to send back). A request carrying either reads from the replica only once
 * the replica has replayed that position; otherwise from the primary.
 */
export const readAfterCookie = 'unitrain_read_after';
export const readAfterHeader = 'x-read-after';

/**
 * The cookie outlives the longest lag a replica may have and still be read (DATABASE_REPLICA_MAX_LAG_MS
 * is at most 60 s): once it expires, any replica that is read from has the write.
 */
const readAfterSeconds = 60;

function positionSent(request: FastifyRequest): string | null {
  const header = request.headers[readAfterHeader];
  const cookies = request.headers.cookie;
  // Most requests (every public one) carry neither: nothing to parse.
  if (header === undefined && cookies === undefined) return null;
  const fromHeader = parseWalPosition(typeof header === 'string' ? header : null);
  return fromHeader ?? (cookies === undefined ? null : parseWalPosition(parseCookie(cookies)[readAfterCookie]));
}

/** The request's commit mark: what its client says it wrote last (a malformed value is ignored: it is only a hint). */
export function commitMarkOf(request: FastifyRequest): CommitMark {
  return { position: positionSent(request) };
}

/** Sends the position back when the request's own writes moved it (the `onSend` of every request, in buildApp). */
export function sendCommitPosition(request: FastifyRequest, reply: FastifyReply): void {
  const position = request.actor?.commits?.position ?? null;
  if (position !== null && position !== positionSent(request)) {
    reply.header(readAfterHeader, position);
    reply.header('set-cookie', stringifySetCookie(readAfterCookie, position, { path: '/', httpOnly: true, sameSite: 'lax', maxAge: readAfterSeconds }));
  }
}
