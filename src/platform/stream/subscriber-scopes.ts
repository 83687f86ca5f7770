import { type Db, inReadOnlySnapshot, type Session, type Tx } from '../db/database.js';
import { isSessionEnded } from '../db/postgres-errors.js';
import { type ChangePosition, comparePositions, laterPosition, readPrunedThrough } from '../change-log/index.js';
import {
  authoriseForKeptScopes, authoriseForKeptScopesIfCurrent, createKeptScopeTables, currentFrontier, dropKeptScopeTables, type KeptScopeTables, keptScopeTables, noScope,
  readScopeChanges, removeKeptScopes, replaceKeptScopes, type ScopeChange, type SubscriberScope,
} from './realtime.repository.js';

/**
 * More scope changes than this since the last look: rebuilding every scope is cheaper than picking. A
 * look reads a change in microseconds; a scope costs about a millisecond of the database to build, so
 * rebuilding 1,000 took longer than 500 changes/s need to pass 1,000, and every look after it rebuilt
 * again (decision 0091).
 */
const scopeChangeLimit = 10_000;

/** A stream, whose scope is built for its account when first asked for and kept while the stream lives. */
export interface ScopedStream {
  readonly account: string;
}

/**
 * The streams' scopes, kept between the feed's batches: building 1,000 of them took 160–240 ms, a round's
 * whole budget. They are kept twice: here, to see which a scope change touches, and in temporary tables
 * of a session of their own, which the batch's authorisation reads instead of receiving every scope with
 * every batch (decision 0059). A kept scope equals what `realtime_actor_of` would build in the snapshot
 * of the authorisation, because before it, every committed change since the last look to a table the
 * scope is read from (`readScopeChanges`) rebuilds the scopes it may touch, in that same snapshot. A
 * write that is not captured (a bulk load with capture off) is seen by the streams that start after it.
 */
export interface SubscriberScopes<S extends ScopedStream> {
  /**
   * Which of `streams` may see which of `seqs`, in one REPEATABLE READ snapshot: per change seq, indexes
   * into `streams`. `batchEnd`: how far the batch being authorised reaches, read before this call; nothing
   * at or before it can commit later.
   */
  authorise(streams: readonly S[], batchEnd: ChangePosition, seqs: readonly number[]): Promise<Map<number, Set<number>>>;
  /** The stream has ended. */
  forget(stream: S): void;
  /** Ends the session (and so the tables); the next `authorise` opens another. */
  close(): Promise<void>;
}

interface Kept {
  /** The stream's row in the session's tables. */
  readonly subscriber: number;
  readonly scope: SubscriberScope;
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
function accountsTouchedBy(changes: readonly ScopeChange[], taughtSessions: () => ReadonlyMap<string, ReadonlySet<string>>): Set<string> | 'all' {
  const touched = new Set<string>();
  let teachersOf: ReadonlyMap<string, ReadonlySet<string>> | null = null;
  for (const change of changes) {
    if (change.table === 'users') {
      touched.add(change.rowId);
    } else if (change.table === 'session_enrollments') {
      if (change.userId !== null) touched.add(change.userId);
    } else if (change.table === 'training_sessions') {
      teachersOf ??= taughtSessions();
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
function taughtSessionIndex(kept: ReadonlyMap<ScopedStream, Kept>): Map<string, Set<string>> {
  const teachers = new Map<string, Set<string>>();
  for (const [stream, { scope }] of kept) {
    for (const session of scope.taught_session_ids ?? []) {
      const accounts = teachers.get(session) ?? new Set<string>();
      accounts.add(stream.account);
      teachers.set(session, accounts);
    }
  }
  return teachers;
}

/** Tells the tables of one holder from another's on the embedded engine's one connection. */
let holders = 0;

export function createSubscriberScopes<S extends ScopedStream>(db: Db, built: { inc(count: number): void }): SubscriberScopes<S> {
  const kept = new Map<S, Kept>();
  /**
   * Who teaches each session, as `kept` says; made again only after `kept` changed. Every batch of session
   * updates asks, and building it from 1,000 scopes each time cost about 0.4 ms a batch.
   */
  let taughtSessions: Map<string, Set<string>> | null = null;
  const taughtSessionsNow = () => (taughtSessions ??= taughtSessionIndex(kept));
  const keep = (stream: S, entry: Kept) => {
    kept.set(stream, entry);
    taughtSessions = null;
  };
  const unkeep = (stream: S) => {
    kept.delete(stream);
    taughtSessions = null;
  };
  /** Streams that ended, perhaps while their scope was being built: never kept again. */
  const ended = new WeakSet<S>();
  /** Rows of the session's tables whose streams ended: removed before the next authorisation. */
  let gone: number[] = [];
  /** The last authorisation failed without losing the session: a second failure in a row starts a new one. */
  let failedBefore = false;
  let nextSubscriber = 1;
  /**
   * Scope changes after here have not been looked at; null while nothing is kept. After a batch: its end,
   * or the frontier of the snapshot of the look (or of a build of every scope) if later (`ScopeLook`). The
   * batch's end alone made each look read again every change the feed had not handed on yet.
   */
  let lookedThrough: ChangePosition | null = null;
  let session: { connection: Session; tables: KeptScopeTables } | null = null;

  const openSession = async () => {
    const connection = await db.openSession();
    try {
      const tables = keptScopeTables((holders += 1));
      await createKeptScopeTables(connection, tables);
      return { connection, tables };
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  };

  /** Nothing kept any more: the next authorisation builds every scope again, in a new session. */
  const closeSession = async () => {
    const closing = session;
    session = null;
    kept.clear();
    taughtSessions = null;
    gone = [];
    lookedThrough = null;
    failedBefore = false;
    if (!closing) return;
    await dropKeptScopeTables(closing.connection, closing.tables).catch(() => undefined);
    await closing.connection.close().catch(() => undefined);
  };

  /** The accounts whose kept scopes changes since `since` may have made wrong, given the prune horizon. */
  const touchedBy = (since: ChangePosition, prunedThrough: ChangePosition | null, changes: readonly ScopeChange[]): Set<string> | 'all' => {
    if (prunedThrough !== null && comparePositions(since, prunedThrough) < 0) return 'all';
    return changes.length > scopeChangeLimit ? 'all' : accountsTouchedBy(changes, taughtSessionsNow);
  };

  const changedSince = async (tx: Tx, since: ChangePosition): Promise<{ touched: Set<string> | 'all'; lookedBefore: ChangePosition }> => {
    const prunedThrough = await readPrunedThrough(tx);
    const look = await readScopeChanges(tx, since, scopeChangeLimit + 1);
    return { touched: touchedBy(since, prunedThrough, look.scopeChanges), lookedBefore: look.lookedBefore };
  };

  /** Per change seq, indexes into `streams` rather than the numbers of their rows. */
  const indexesOf = (streams: readonly S[], visibleRows: ReadonlyMap<number, ReadonlySet<number>>) => {
    const indexOf = new Map<number, number>();
    streams.forEach((stream, index) => {
      const entry = kept.get(stream);
      if (entry) indexOf.set(entry.subscriber, index);
    });
    const visible = new Map<number, Set<number>>();
    for (const [seq, subscribers] of visibleRows) {
      const indexes = new Set<number>();
      for (const subscriber of subscribers) {
        const index = indexOf.get(subscriber);
        if (index !== undefined) indexes.add(index);
      }
      visible.set(seq, indexes);
    }
    return visible;
  };

  /** Takes the rows to remove: a stream that ends meanwhile adds to the next removal. */
  const takeGone = () => {
    const taken = gone;
    gone = [];
    return taken;
  };
  /** The removal did not happen (rolled back, or never sent): the rows are still there. */
  const giveBack = (taken: readonly number[]) => {
    gone = [...taken, ...gone];
  };

  /**
   * Rebuilds what changed and builds what is new, then authorises, all in the snapshot of `tx`. What is
   * kept here changes only once the transaction has committed (`apply`): a rollback leaves this as it
   * left the tables, so a failed rebuild costs a retry, not every scope.
   */
  const rebuildAndAuthorise = async (tx: Tx, tables: KeptScopeTables, streams: readonly S[], seqs: readonly number[], removing: readonly number[]) => {
    // Nothing kept: every scope is built in this snapshot, so it reflects every change its frontier settled.
    const { touched, lookedBefore } = lookedThrough === null || kept.size === 0
      ? { touched: 'all' as const, lookedBefore: await currentFrontier(tx) }
      : await changedSince(tx, lookedThrough);
    const stale = [...kept].filter(([stream]) => touched === 'all' || touched.has(stream.account));
    const staleStreams = new Set(stale.map(([stream]) => stream));
    const unbuilt = [...new Set(streams.filter((stream) => (!kept.has(stream) || staleStreams.has(stream)) && !ended.has(stream)))];
    const numbers = unbuilt.map(() => nextSubscriber++);
    const removed = [...removing, ...stale.map(([, entry]) => entry.subscriber)];
    const fresh = await replaceKeptScopes(tx, tables, removed, numbers, unbuilt.map((stream) => stream.account));
    const visibleRows = await authoriseForKeptScopes(tx, tables, seqs);
    const apply = () => {
      // A stale stream that ended meanwhile was removed here by forget(); its new row joins the removals.
      for (const [stream, entry] of stale) if (kept.get(stream) === entry) unkeep(stream);
      unbuilt.forEach((stream, index) => {
        const subscriber = numbers[index] as number;
        if (ended.has(stream)) gone.push(subscriber);
        else keep(stream, { subscriber, scope: fresh.get(subscriber) ?? noScope });
      });
      built.inc(fresh.size);
    };
    return { apply, visibleRows, lookedBefore };
  };

  /**
   * One statement, when every stream's scope is kept: the scope changes since the last look, and the
   * authorisation over the kept scopes, in one snapshot. Null when a change touched a kept scope (or
   * the look fell behind the prune horizon), and the answer is not to be used.
   */
  const authoriseIfCurrent = async (connection: Session, tables: KeptScopeTables, streams: readonly S[], batchEnd: ChangePosition, seqs: readonly number[]) => {
    const since = lookedThrough;
    if (since === null || streams.some((stream) => !kept.has(stream) && !ended.has(stream))) return null;
    // Streams that ended since the last batch leave the tables first, so that they are not authorised.
    const removing = takeGone();
    try {
      await removeKeptScopes(connection, tables, removing);
    } catch (error) {
      giveBack(removing);
      throw error;
    }
    const check = await authoriseForKeptScopesIfCurrent(connection, tables, since, scopeChangeLimit + 1, seqs);
    const touched = touchedBy(since, check.prunedThrough, check.scopeChanges);
    if (touched === 'all' || (touched.size > 0 && [...kept.keys()].some((stream) => touched.has(stream.account)))) return null;
    lookedThrough = laterPosition(batchEnd, check.lookedBefore);
    return indexesOf(streams, check.visible);
  };

  return {
    async authorise(streams, batchEnd, seqs) {
      // A second try in a new session: the first one's connection may have died since its last batch
      // (a database restart), and the feed would otherwise wait for its next poll to try again.
      for (let attempt = 1; ; attempt++) {
        session ??= await openSession();
        const { connection, tables } = session;
        try {
          const visible = await authoriseIfCurrent(connection, tables, streams, batchEnd, seqs) ?? await (async () => {
            const removing = takeGone();
            try {
              const rebuilt = await inReadOnlySnapshot(connection, (tx) => rebuildAndAuthorise(tx, tables, streams, seqs, removing));
              rebuilt.apply();
              lookedThrough = laterPosition(batchEnd, rebuilt.lookedBefore);
              return indexesOf(streams, rebuilt.visibleRows);
            } catch (error) {
              giveBack(removing);
              throw error;
            }
          })();
          failedBefore = false;
          return visible;
        } catch (error) {
          // A statement that failed changed nothing kept, here or in the tables (a rebuild's writes rolled
          // back with it): the feed retries the batch. But a lost session took its tables with it, and an
          // error that repeats may be the session's own state: then start again from nothing.
          const again = failedBefore;
          failedBefore = true;
          if (!isSessionEnded(error) && !again) throw error;
          await closeSession();
          if (attempt === 2) throw error;
        }
      }
    },
    forget(stream) {
      ended.add(stream);
      const entry = kept.get(stream);
      if (!entry) return;
      unkeep(stream);
      gone.push(entry.subscriber);
    },
    close: closeSession,
  };
}
