import type { FastifyRequest } from 'fastify';
import type { Role } from '../db/actor.js';
import type { Loader, TwoLayerCache } from '../cache/two-layer-cache.js';
import type { NowOrLater } from '../shared/now-or-later.js';
import type { SignedInActor } from './authenticate.js';
import { accountFreshnessMs } from './signed-in-accounts.js';

/**
 * The tables a read made as a caller depends on, per role: those its statement reads, and those the SELECT
 * policies of its tables for the role's database role read, through their functions too (each role's plan
 * holds only its own policies, decision 0086). A committed change to any of them ends the caller's entry.
 * `rls-catalogue.test.ts` holds each list equal to what the catalogue says.
 */
export type TablesByRole = Readonly<Record<Role, readonly string[]>>;

/** The same tables whatever the role (policies that test only the claims read no table). */
export function sameForEveryRole(tables: readonly string[]): TablesByRole {
  return { SA: tables, AD: tables, AP: tables, IC: tables, IP: tables, IT: tables, IN: tables };
}

const noCacheDirective = /(?:^|,)\s*no-cache\s*(?:[,=]|$)/i;

/** The client asked for a validated answer (`Cache-Control: no-cache`, RFC 9111 5.2.1.4): no cached one. */
export function asksNoCache(request: FastifyRequest): boolean {
  const header = request.headers['cache-control'];
  return header !== undefined && noCacheDirective.test(header);
}

/** Keys longer than this (a URL with a long cursor or filter) are made each time, never kept. */
const longestKeptKey = 256;

/**
 * What `make()` makes for a key, kept, up to `maxEntries` keys (then all are dropped and made again: the
 * keys come from callers and requests, so the memo is bounded) of at most `longestKeptKey` characters (so
 * its memory is bounded too). For a value that is a pure function of its key and needed on every request.
 * A string kept is the same string each time, whose hash the answer cache's LRU does not compute again
 * (decision 0110).
 */
export function createMemo<V>(maxEntries: number): (key: string, make: () => V) => V {
  const made = new Map<string, V>();
  return (key, make) => {
    if (key.length > longestKeptKey) return make();
    let value = made.get(key);
    if (value === undefined) {
      if (made.size >= maxEntries) made.clear();
      value = make();
      made.set(key, value);
    }
    return value;
  };
}

interface CallerKeys {
  role: Role;
  providerId: string | null;
  keyOf: (read: string, make: () => string) => string;
}

/** Per account: its role and provider when its keys were made, and its key of each read (at most 1,000 × 64 kept). */
const callerKeysOf = createMemo<{ current: CallerKeys | null }>(1_000);
const readsPerCaller = 64;
const emptySlot = () => ({ current: null });

/**
 * The answer cache's key of `read` made as `actor`: the account, role and provider before the read's own
 * parts. Made once per account, role, provider and read rather than on every request (decision 0110); a
 * new role or provider makes new keys.
 */
export function callerKeyOf(actor: SignedInActor, read: string): string {
  const slot = callerKeysOf(actor.userId, emptySlot);
  let keys = slot.current;
  if (keys === null || keys.role !== actor.role || keys.providerId !== actor.providerId) {
    keys = { role: actor.role, providerId: actor.providerId, keyOf: createMemo<string>(readsPerCaller) };
    slot.current = keys;
  }
  return keys.keyOf(read, () => `caller:${actor.userId}:${actor.role}:${actor.providerId ?? ''}:${read}`);
}

/**
 * A read made as a signed-in caller, answered from the answer cache (decision 0094). The key names the
 * caller's account, role and provider before the read's own parts, so no answer is ever served to another
 * caller, nor to the same account after its role or provider changed (the request's actor is the account
 * as the signed-in accounts hold it, within their bound: decision 0063). Row-level security decided the
 * answer when it was loaded, as the caller; `tags` (the role's tables, or rows of them) end it. Loaded instead of served when this process
 * wrote something its feed has not read (the cache's rule), when the client says it wrote (its read-after
 * position: possibly through another process), when the feed has not settled a round within the
 * accounts' bound, and when the client asks for no cached answer. An answer in memory comes as it is, not
 * as a promise: a route can send it in the same turn (decision 0104).
 */
export function cachedAsCaller<T>(
  cache: TwoLayerCache,
  actor: SignedInActor,
  read: string,
  tags: readonly string[],
  load: Loader<T>,
  options: { noCache: boolean },
): NowOrLater<T> {
  return cache.getOrLoadNow(callerKeyOf(actor, read), tags, load, {
    readAfter: actor.commits?.position ?? null,
    freshWithinMs: accountFreshnessMs,
    noCache: options.noCache,
  });
}

/**
 * `present` made once per value: a cache hit is the same object each time, so its presentation (and,
 * through `createSerializedOnce`, its JSON text) is made once and dropped with it (WeakMap).
 */
export function createPresentedOnce<From extends object, To>(present: (value: From) => To): (value: From) => To {
  const presented = new WeakMap<From, To>();
  return (value) => {
    if (presented.has(value)) return presented.get(value) as To;
    const made = present(value);
    presented.set(value, made);
    return made;
  };
}
