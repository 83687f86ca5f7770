import { asTx, type Connection, type Row, type Tx } from './database.js';

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
  let bodyEnded!: (ended: { error: unknown } | null) => void;
  const ended = new Promise<{ error: unknown } | null>((resolve) => (bodyEnded = resolve));
  let transaction: Promise<T> | null = null;
  let opened: Promise<Tx> | null = null;
  const open = (): Promise<Tx> =>
    (opened ??= new Promise<Tx>((resolveTx, rejectTx) => {
      transaction = db.transaction(async (tx) => {
        resolveTx(tx);
        const failure = await ended;
        if (failure) throw failure.error;
        return finish(tx);
      });
      // The transaction could not begin (no connection): the body's statement fails with it.
      transaction.catch(rejectTx);
    }));
  const lazy = asTx({
    query: <R = Row>(sql: string, params?: readonly unknown[]) => open().then((tx) => tx.query<R>(sql, params)),
    exec: (sql: string) => open().then((tx) => tx.exec(sql)),
  });
  try {
    await body(lazy);
  } catch (error) {
    bodyEnded({ error });
    // Rolled back (or never begun): the body's own error is the one that tells.
    await (transaction as Promise<T> | null)?.catch(() => undefined);
    throw error;
  }
  bodyEnded(null);
  if (transaction === null) return null;
  return { value: await (transaction as Promise<T>) };
}
