import { asTx, type Connection, type Row, type Tx } from './database.js';

interface Opened<T> {
  tx: Promise<Tx>;
  transaction: Promise<T>;
  bodyEnded: (failure: { error: unknown } | null) => void;
}

/**
 * Runs `body` with a transaction that is opened at its first statement: a body that sends none takes
 * no connection from the pool and sends nothing (on the embedded engine, where a transaction sends
 * BEGIN and COMMIT anyway, not even those). When the body sent a statement, `finish` runs in the same
 * transaction before COMMIT and its result is returned; null when nothing was opened. A body or
 * `finish` that throws rolls the transaction back and the error is thrown on.
 *
 * For work that often writes nothing, run many times (the job dispatcher's handlers): deciding up
 * front would cost a transaction for each, or a guess.
 */
export async function lazyTransaction<T>(db: Connection, body: (tx: Tx) => Promise<void>, finish: (tx: Tx) => Promise<T>): Promise<{ value: T } | null> {
  /** Set once the first statement opened the transaction: how it ends, and how the body's end is told to it. */
  let opened = null as Opened<T> | null;
  const open = (): Promise<Tx> => {
    if (opened) return opened.tx;
    let bodyEnded!: (failure: { error: unknown } | null) => void;
    const ended = new Promise<{ error: unknown } | null>((resolve) => (bodyEnded = resolve));
    let began!: { resolve: (tx: Tx) => void; reject: (error: unknown) => void };
    const tx = new Promise<Tx>((resolve, reject) => (began = { resolve, reject }));
    const transaction = db.transaction(async (inside) => {
      began.resolve(inside);
      const failure = await ended;
      if (failure) throw failure.error;
      return finish(inside);
    });
    // When the transaction cannot begin (no connection), the body's statement fails with it.
    transaction.catch(began.reject);
    opened = { tx, transaction, bodyEnded };
    return tx;
  };
  const lazy = asTx({
    query: <R = Row>(sql: string, params?: readonly unknown[]) => open().then((tx) => tx.query<R>(sql, params)),
    exec: (sql: string) => open().then((tx) => tx.exec(sql)),
  });
  try {
    await body(lazy);
  } catch (error) {
    if (opened === null) throw error;
    const { transaction, bodyEnded } = opened;
    bodyEnded({ error });
    // Rolled back (or never begun): the body's own error is the one that tells.
    await transaction.catch(() => undefined);
    throw error;
  }
  if (opened === null) return null;
  const { transaction, bodyEnded } = opened;
  bodyEnded(null);
  return { value: await transaction };
}
