/**
 * A value here now, or a promise of it: an answer from memory comes as it is, so whoever uses it can act in the
 * same turn, without a promise and a turn of the microtask queue (decisions 0093, 0104).
 */
export type NowOrLater<T> = T | Promise<T>;

/** Runs `use` on the value: in this turn when it is here, once the promise settles when it is not. */
export function whenReady<T, R>(value: NowOrLater<T>, use: (ready: T) => R): NowOrLater<R> {
  return value instanceof Promise ? value.then(use) : use(value);
}
