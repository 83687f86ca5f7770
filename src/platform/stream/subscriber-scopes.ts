import type { Tx } from '../db/database.js';
import { type ChangePosition, comparePositions, readPrunedThrough } from '../change-log/index.js';
import { buildSubscriberScopes, noScope, readScopeChanges, type ScopeChange, type SubscriberScope } from './realtime.repository.js';

/** More scope changes than this since the last look: rebuilding every scope is cheaper than picking. */
const scopeChangeLimit = 1_000;

/** A stream, whose scope is built for its account when first asked for and kept while the stream lives. */
export interface ScopedStream {
  readonly account: string;
}

/**
 * The streams' scopes, kept between the feed's batches: building 1,000 of them took 160–240 ms, a round's
 * whole budget. A kept scope equals what `realtime_actor_of` would build in the snapshot of the
 * transaction that asks for it, because before answering, every committed change since the last answer
 * to a table the scope is read from (`readScopeChanges`) rebuilds the scopes it may touch. A write that
 * is not captured (a bulk load with capture off) is seen by the streams that start after it.
 */
export interface SubscriberScopes<S extends ScopedStream> {
  /**
   * The scopes of `streams`, in order, as of `tx`'s snapshot (a REPEATABLE READ transaction, so the
   * authorisation that follows sees the same). `batchEnd`: how far the batch being authorised reaches,
   * read before `tx` began; nothing at or before it can commit later.
   */
  scopesOf(tx: Tx, streams: readonly S[], batchEnd: ChangePosition): Promise<SubscriberScope[]>;
  /** The stream has ended. */
  forget(stream: S): void;
}

/**
 * The accounts whose kept scopes a scope change may have made wrong, or 'all'. A change names them
 * through its keys: a user row its own account, an enrollment its student (none for a student profile
 * without an account, and an enrollment never changes student: migration 0026). A session names its
 * instructor; the kept taught sets are rebuilt only where they disagree with it (the instructor lacks
 * the session, or another account has it), so the many updates that leave the instructor alone rebuild
 * nothing, and a deleted session rebuilds its instructor. Changes to memberships, provider locations,
 * instructor profiles and rosters are rare and reach many scopes: they rebuild all.
 */
function accountsTouchedBy(changes: readonly ScopeChange[], kept: ReadonlyMap<ScopedStream, SubscriberScope>): Set<string> | 'all' {
  const touched = new Set<string>();
  let teachersOf: Map<string, Set<string>> | null = null;
  for (const change of changes) {
    if (change.table === 'users') {
      touched.add(change.rowId);
    } else if (change.table === 'session_enrollments') {
      if (change.userId !== null) touched.add(change.userId);
    } else if (change.table === 'training_sessions') {
      teachersOf ??= taughtSessionIndex(kept);
      const teachers = teachersOf.get(change.rowId) ?? new Set<string>();
      for (const account of teachers) if (account !== change.instructorId) touched.add(account);
      if (change.instructorId !== null && (change.operation === 'DELETE' || !teachers.has(change.instructorId))) touched.add(change.instructorId);
    } else {
      return 'all';
    }
  }
  return touched;
}

/** The accounts that teach each session, as the kept scopes say. */
function taughtSessionIndex(kept: ReadonlyMap<ScopedStream, SubscriberScope>): Map<string, Set<string>> {
  const teachers = new Map<string, Set<string>>();
  for (const [stream, scope] of kept) {
    for (const session of scope.taught_session_ids ?? []) {
      const accounts = teachers.get(session) ?? new Set<string>();
      accounts.add(stream.account);
      teachers.set(session, accounts);
    }
  }
  return teachers;
}

export function createSubscriberScopes<S extends ScopedStream>(built: { inc(count: number): void }): SubscriberScopes<S> {
  const kept = new Map<S, SubscriberScope>();
  /** Streams that ended, perhaps while their scope was being built: never kept again. */
  const ended = new WeakSet<S>();
  /** Scope changes after here have not been looked at; null while nothing is kept. */
  let lookedThrough: ChangePosition | null = null;

  const changedSince = async (tx: Tx, since: ChangePosition): Promise<Set<string> | 'all'> => {
    const prunedThrough = await readPrunedThrough(tx);
    if (prunedThrough !== null && comparePositions(since, prunedThrough) < 0) return 'all';
    const changes = await readScopeChanges(tx, since, scopeChangeLimit + 1);
    return changes.length > scopeChangeLimit ? 'all' : accountsTouchedBy(changes, kept);
  };

  return {
    async scopesOf(tx, streams, batchEnd) {
      const touched = lookedThrough === null || kept.size === 0 ? 'all' : await changedSince(tx, lookedThrough);
      for (const stream of [...kept.keys()]) {
        if (touched === 'all' || touched.has(stream.account)) kept.delete(stream);
      }
      const unbuilt = streams.filter((stream) => !kept.has(stream));
      const fresh = await buildSubscriberScopes(tx, [...new Set(unbuilt.map((stream) => stream.account))]);
      built.inc(fresh.size);
      const scopes = streams.map((stream) => kept.get(stream) ?? fresh.get(stream.account) ?? noScope);
      for (const stream of unbuilt) if (!ended.has(stream)) kept.set(stream, fresh.get(stream.account) ?? noScope);
      lookedThrough = batchEnd;
      return scopes;
    },
    forget(stream) {
      ended.add(stream);
      kept.delete(stream);
    },
  };
}
