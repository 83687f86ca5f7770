import type { Db, Tx } from '../src/platform/db/database.js';

export interface OpenTransaction<T> {
  /** What `work` returned inside the transaction. */
  result: T;
  /** Commits the transaction and waits until it has ended. */
  commit(): Promise<void>;
}

/**
 * Runs `work` in a transaction on a connection of its own and keeps the transaction open until
 * `commit`: a write that stays uncommitted, or (with any write, even `pg_current_xact_id()`) a long
 * transaction elsewhere on the server holding xmin back. PostgreSQL only: PGlite has one connection.
 */
export async function openTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<OpenTransaction<T>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let opened!: (result: T) => void;
  const ready = new Promise<T>((resolve) => (opened = resolve));
  const ended = db.withConnection((connection) => connection.transaction(async (tx) => {
    opened(await work(tx));
    await released;
  }));
  // `ended` settles first only when `work` failed; otherwise it waits for `commit`.
  const result = await Promise.race([ready, ended.then((): never => { throw new Error('the transaction ended before commit'); })]);
  return {
    result,
    async commit() {
      release();
      await ended;
    },
  };
}
