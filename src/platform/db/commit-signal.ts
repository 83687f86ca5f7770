import type { Logger } from '../shared/logger.js';
import type { Db } from './database.js';

/** The channel a PostgreSQL `Db` NOTIFYs after its writes commit, so other processes look at change_log now. */
export const changesChannel = 'unitrain_changes';

/**
 * Asked just before COMMIT: only a transaction that wrote (or locked a row) has a transaction id, so a
 * read-only transaction signals nothing.
 */
export const transactionWroteQuery = 'select pg_current_xact_id_if_assigned() is not null as wrote';

/** The engines' side: who is told, in this process, that a writing transaction of the `Db` committed. */
export interface CommitListeners {
  add(listener: () => void): () => void;
  /** Whether anyone listens (the embedded engine asks whether a transaction wrote only then). */
  readonly any: boolean;
  emit(): void;
}

export function createCommitListeners(): CommitListeners {
  const listeners = new Set<() => void>();
  return {
    add(listener) {
      // A wrapper of its own, so that one function added twice is called twice and removed once.
      const entry = () => listener();
      listeners.add(entry);
      return () => listeners.delete(entry);
    },
    get any() {
      return listeners.size > 0;
    },
    /** After COMMIT returned. Listeners only wake something and never throw (the transaction did commit). */
    emit() {
      for (const listener of listeners) listener();
    },
  };
}

/**
 * Sends `notify` after commits, coalesced: while one is on its way, any number of further commits add
 * exactly one more. Outside the writing transaction on purpose (DESIGN.md: a NOTIFY inside every write
 * transaction serialises commits on a global lock). `settled` resolves once nothing is on its way, so
 * the owner can close what `notify` uses without a send starting after it.
 */
export function coalesced(notify: () => Promise<void>): { send: () => void; settled: () => Promise<void> } {
  let inFlight: Promise<void> | null = null;
  let again = false;
  const send = () => {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = notify().finally(() => {
      inFlight = null;
      if (again) {
        again = false;
        send();
      }
    });
  };
  const settled = async (): Promise<void> => {
    while (inFlight) await inFlight;
  };
  return { send, settled };
}

/**
 * "Something committed", for the readers of change_log and jobs of this process (the change feed, the
 * job worker): a write of this process (the `Db` says so after COMMIT, whoever wrote: a request, a job,
 * a command), another process's NOTIFY, or a LISTEN reconnect (NOTIFYs may have been missed meanwhile).
 * The embedded database has one process and needs no LISTEN.
 */
export interface CommitSignal {
  /** Calls `wake` on every signal. */
  onSignal(wake: () => void): void;
  /** Starts listening to other processes (PostgreSQL only); idempotent. */
  listen(): Promise<void>;
  stop(): Promise<void>;
}

export function createCommitSignal(db: Db, logger: Logger): CommitSignal {
  const listeners: Array<() => void> = [];
  let listening: Promise<() => Promise<void>> | null = null;
  const wakeAll = () => {
    for (const wake of listeners) wake();
  };
  const stopLocal = db.onCommit(wakeAll);

  return {
    onSignal(wake) {
      listeners.push(wake);
    },
    async listen() {
      if (db.engine !== 'postgres') return;
      listening ??= db.listen(changesChannel, wakeAll, () => {
        logger.info('change signal reconnected to the database');
        wakeAll();
      });
      try {
        await listening;
      } catch (error) {
        listening = null;
        throw error;
      }
    },
    async stop() {
      stopLocal();
      const stop = await listening?.catch(() => null);
      listening = null;
      await stop?.();
    },
  };
}
