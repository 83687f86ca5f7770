import { LRUCache } from 'lru-cache';
import { createFailureWarning } from '../shared/failure-warning.js';
import type { Logger } from '../shared/logger.js';
import type { AccountReadCounts } from '../shared/metrics.js';
import { createOwnWrites } from '../shared/own-writes.js';
import type { AccountState } from './authenticate.js';

/** The tables an account's state is read from (auth.repository.ts: findSignedInUser). */
const usersTable = 'users';
const membershipsTable = 'provider_members';

/** A batch of committed changes as the change feed hands it on (platform/stream: FeedBatch), as far as accounts need it. */
export interface AccountChangeBatch {
  readonly changes: ReadonlyArray<{ readonly table: string; readonly rowId: string }>;
}

export interface SignedInAccounts {
  /**
   * The account's state as the database says it now: from memory while no committed change can have
   * altered it (then as a value, in the same turn: no promise for most requests, decision 0081), else read.
   */
  find(userId: string): AccountState | Promise<AccountState | null>;
  /** The change feed's observer (wired in app.ts beside the answer cache's). */
  readonly observer: {
    roundStarting(): void;
    batch(batch: AccountChangeBatch): void;
    roundSettled(): void;
  };
  /** Call after each commit of this process that changed an account (Db.onCommit, onlyAccountChanges): until the feed has read it, accounts are read. */
  noteLocalCommit(): void;
}

export interface SignedInAccountsDeps {
  /** Reads the account (one primary-key query on the primary). */
  load(userId: string): Promise<AccountState | null>;
  /** Starts the process's change feed (idempotent); nothing is kept until it reads. */
  startFeed(): Promise<void>;
  /** Asks the feed for a round now (it polls only every FEED_POLL_MS when nothing wakes it). */
  wakeFeed(): void;
  /** Accounts answered, by source: `memory`, or `database` (not kept, a change since, this process's own write unread, no feed). */
  reads: AccountReadCounts;
  logger: Logger;
  /** Milliseconds on a monotonic clock (tests move it). */
  now(): number;
}

/**
 * An account is answered from memory only while the feed has, within this many milliseconds, finished a
 * round that left nothing committed unread: whatever committed before that round began has been read.
 * So a change committed anywhere applies here within a second, even when a long transaction holds the
 * feed back or the NOTIFY that wakes it is lost.
 */
export const accountFreshnessMs = 1_000;

interface Flight {
  readonly promise: Promise<AccountState | null>;
  /** A committed change to the account arrived while it was read: its answer serves its callers, and is not kept. */
  stale: boolean;
}

/**
 * The signed-in account of each request, kept in memory between requests (decision 0063). Decision 0051
 * requires a role change or a deactivation to apply to tokens already issued at once; this keeps it, on
 * the rules of the answer cache (decision 0038), per account:
 * - this process's own commits: after a commit of this process that changed an account's state (a users
 *   or provider_members change row of its own: only those can change what the read answers, decision
 *   0088), every account is read from the database until the change feed has read that commit;
 * - other processes' commits: the feed (woken by their NOTIFY, or within FEED_POLL_MS) drops the account
 *   a `users` change names, and every account on a `provider_members` change (its row names the
 *   membership, not the user; such changes are rare), before the stream hub hears of the change;
 * - a read under way when such a change arrives answers its own callers and is not kept;
 * - and whatever the feed's timing, nothing is answered from memory unless the feed finished a round
 *   that left nothing unread, begun within the last second (accountFreshnessMs).
 * Only active accounts are kept: an unknown or inactive one is read on every request, as before.
 */
export function createSignedInAccounts(settings: { maxEntries: number; ttlSeconds: number }, deps: SignedInAccountsDeps): SignedInAccounts {
  const { reads } = deps;
  const kept = new LRUCache<string, AccountState>({ max: Math.max(settings.maxEntries, 1), ttl: Math.max(settings.ttlSeconds * 1000, 1) });
  const flights = new Map<string, Flight>();
  let started: Promise<void> | null = null;
  /** The feed has started: nothing to wait for before answering. */
  let feedRunning = false;
  const ownWrites = createOwnWrites();
  const noFeed = createFailureWarning(deps.logger, 'signed-in accounts: the change feed could not start; reading every account');
  let roundStartedAt = 0;
  /** When the last round that left nothing unread began (null: none yet). */
  let settledRoundStartedAt: number | null = null;

  const fromDatabase = (userId: string) => {
    reads.database += 1;
    return deps.load(userId);
  };

  const ensureStarted = () => {
    started ??= deps.startFeed().then(
      () => {
        feedRunning = true;
        noFeed.recovered();
      },
      (error: unknown) => {
        started = null;
        noFeed.failed(error);
      },
    );
    return started;
  };

  const readAndKeep = (userId: string): Promise<AccountState | null> => {
    const flight: Flight = {
      stale: false,
      promise: fromDatabase(userId).then((account) => {
        if (!flight.stale && account?.status === 'ACTIVE') kept.set(userId, account);
        return account;
      }),
    };
    flights.set(userId, flight);
    const forget = () => {
      if (flights.get(userId) === flight) flights.delete(userId);
    };
    flight.promise.then(forget, forget);
    return flight.promise;
  };

  const answer = (userId: string): AccountState | Promise<AccountState | null> => {
    // No feed, a feed behind by more than a second, or this process wrote something its feed has not
    // read yet: the database says.
    const age = settledRoundStartedAt === null ? Infinity : deps.now() - settledRoundStartedAt;
    // Half way, a round is asked for, so that a process under traffic stays fresh whatever the poll.
    if (age > accountFreshnessMs / 2) deps.wakeFeed();
    if (age > accountFreshnessMs || ownWrites.unread) return fromDatabase(userId);
    const account = kept.get(userId);
    if (account) {
      reads.memory += 1;
      return account;
    }
    const flight = flights.get(userId);
    if (flight && !flight.stale) return flight.promise;
    return readAndKeep(userId);
  };

  return {
    find(userId) {
      if (settings.ttlSeconds === 0) return fromDatabase(userId);
      return feedRunning ? answer(userId) : ensureStarted().then(() => answer(userId));
    },
    observer: {
      roundStarting() {
        ownWrites.roundStarting();
        roundStartedAt = deps.now();
      },
      batch(batch) {
        for (const change of batch.changes) {
          if (change.table === usersTable) {
            kept.delete(change.rowId);
            const flight = flights.get(change.rowId);
            if (flight) flight.stale = true;
          } else if (change.table === membershipsTable) {
            kept.clear();
            for (const flight of flights.values()) flight.stale = true;
          }
        }
      },
      roundSettled() {
        ownWrites.roundSettled();
        settledRoundStartedAt = roundStartedAt;
      },
    },
    noteLocalCommit() {
      ownWrites.noteLocalCommit();
    },
  };
}
