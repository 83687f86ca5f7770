import type { Db } from '../../db/database.js';
import type { Logger } from '../../shared/logger.js';

/** The channel a process NOTIFYs after its writes commit, so other processes look at change_log now. */
export const changesChannel = 'unitrain_changes';

/**
 * "Something committed": wakes this process's readers of change_log and jobs at once, and other
 * processes through one NOTIFY sent outside the writing transaction (DESIGN.md: a NOTIFY inside every
 * write transaction serialises commits on a global lock). NOTIFYs are coalesced: while one is on its
 * way, any number of further commits add exactly one more. The embedded database has one process.
 */
export interface CommitSignal {
  /** A write of this process committed. */
  committed(): void;
  /** Calls `wake` on every signal: a local commit, another process's NOTIFY, or a LISTEN reconnect. */
  onSignal(wake: () => void): void;
  /** Starts listening to other processes (PostgreSQL only); idempotent. */
  listen(): Promise<void>;
  stop(): Promise<void>;
}

export function createCommitSignal(db: Db, logger: Logger): CommitSignal {
  const listeners: Array<() => void> = [];
  let notifying = false;
  let notifyAgain = false;
  let listening: Promise<() => Promise<void>> | null = null;

  const wakeAll = () => {
    for (const wake of listeners) wake();
  };

  const notifyOthers = () => {
    if (notifying) {
      notifyAgain = true;
      return;
    }
    notifying = true;
    db.query('select pg_notify($1, $2)', [changesChannel, ''])
      .catch((error: unknown) => logger.warn({ err: error }, 'could not signal other processes of a commit; they will see it on their next poll'))
      .finally(() => {
        notifying = false;
        if (notifyAgain) {
          notifyAgain = false;
          notifyOthers();
        }
      });
  };

  return {
    committed() {
      wakeAll();
      if (db.engine === 'postgres') notifyOthers();
    },
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
      const stop = await listening?.catch(() => null);
      listening = null;
      await stop?.();
    },
  };
}
