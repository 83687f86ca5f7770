import type { Logger } from '../shared/logger.js';
import type { CommitListenerOptions, Db } from './database.js';

/** The channel a PostgreSQL `Db` NOTIFYs after its writes commit, so other processes look at change_log now. */
export const changesChannel = 'unitrain_changes';

/**
 * Asked just before COMMIT: only a transaction that wrote (or locked a row) has a transaction id, so a
 * read-only transaction signals nothing. While a listener wants only the commits that changed an account
 * (`onlyAccountChanges`), also whether this one did: migration 0085's statement triggers on users and
 * provider_members mark the transaction (`unitrain.accounts_changed`); without them nothing is marked.
 */
const wroteQueries = {
  plain: 'select pg_current_xact_id_if_assigned() is not null as wrote',
  withAccounts: `select pg_current_xact_id_if_assigned() is not null as wrote,
                        current_setting('unitrain.accounts_changed', true) = 'on' as accounts_changed`,
};

/** The write check's answer (`CommitListeners.wroteQuery`). */
export interface WroteRow {
  wrote?: boolean;
  accounts_changed?: boolean;
}

/** The engines' side: who is told, in this process, that a writing transaction of the `Db` committed. */
export interface CommitListeners {
  add(listener: () => void, options?: CommitListenerOptions): () => void;
  /** Whether anyone listens (the embedded engine asks whether a transaction wrote only then). */
  readonly any: boolean;
  /** The write check to run before COMMIT: it asks about accounts only while someone listens for them. */
  readonly wroteQuery: string;
  emit(answer: WroteRow): void;
}

export function createCommitListeners(): CommitListeners {
  const everyCommit = new Set<() => void>();
  const accountCommits = new Set<() => void>();
  return {
    add(listener, options = {}) {
      // A wrapper of its own, so that one function added twice is called twice and removed once.
      const entry = () => listener();
      const listeners = options.onlyAccountChanges ? accountCommits : everyCommit;
      listeners.add(entry);
      return () => listeners.delete(entry);
    },
    get any() {
      return everyCommit.size > 0 || accountCommits.size > 0;
    },
    get wroteQuery() {
      return accountCommits.size > 0 ? wroteQueries.withAccounts : wroteQueries.plain;
    },
    /** After COMMIT returned. Listeners only wake something and never throw (the transaction did commit). */
    emit(answer) {
      if (answer.wrote !== true) return;
      for (const listener of everyCommit) listener();
      // Asked only while such a listener was there: one added meanwhile waits for the next commit.
      if (answer.accounts_changed === true) for (const listener of accountCommits) listener();
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
