import type { Queryable, Tx } from '../../platform/db/database.js';

// Runs on the owner connection, like the rest of signing in (see auth.repository.ts): the
// application role has no privilege on login_failures.

export type ThrottleScope = 'ACCOUNT' | 'ADDRESS';

export interface ThrottleKey {
  scope: ThrottleScope;
  key: string;
}

/** Seconds until every given key may try again; 0 when none is locked. Measured by the database clock, which all processes share. */
export async function secondsLocked(db: Queryable, keys: readonly ThrottleKey[]): Promise<number> {
  const { rows } = await db.query<{ seconds: number | null }>(
    `select ceil(extract(epoch from max(locked_until) - now()))::int as seconds
       from login_failures
      where (scope, key) in (select * from unnest($1::text[], $2::text[])) and locked_until > now()`,
    [keys.map((k) => k.scope), keys.map((k) => k.key)],
  );
  return rows[0]?.seconds ?? 0;
}

/**
 * Counts one more failure per key, starting again at 1 where the earlier failures were forgotten.
 * Returns the counts; the rows stay locked until the transaction ends, so `lockKeys` writes the
 * lockouts that belong to exactly these counts.
 */
export async function countFailure(tx: Tx, keys: readonly ThrottleKey[], forgetAfterSeconds: number): Promise<(ThrottleKey & { failures: number })[]> {
  const { rows } = await tx.query<ThrottleKey & { failures: number }>(
    `insert into login_failures as f (scope, key, failures, last_failed_at, forget_after)
     select scope, key, 1, now(), now() + make_interval(secs => $3::int) from unnest($1::text[], $2::text[]) as k (scope, key)
     on conflict (scope, key) do update
        set failures = case when f.forget_after <= now() then 1 else f.failures + 1 end,
            last_failed_at = now(),
            locked_until = case when f.forget_after <= now() then null else f.locked_until end,
            forget_after = now() + make_interval(secs => $3::int)
     returning scope, key, failures`,
    [keys.map((k) => k.scope), keys.map((k) => k.key), forgetAfterSeconds],
  );
  return rows;
}

/** Locks a key for some seconds from now; its failures are remembered until `forgetAfterSeconds` after the lock ends. */
export async function lockKey(tx: Tx, key: ThrottleKey, lockSeconds: number, forgetAfterSeconds: number): Promise<void> {
  await tx.query(
    `update login_failures
        set locked_until = now() + make_interval(secs => $3::int),
            forget_after = now() + make_interval(secs => $3::int + $4::int)
      where scope = $1 and key = $2`,
    [key.scope, key.key, lockSeconds, forgetAfterSeconds],
  );
}

export async function clearFailures(tx: Tx, key: ThrottleKey): Promise<void> {
  await tx.query('delete from login_failures where scope = $1 and key = $2', [key.scope, key.key]);
}

/** Drops a bounded number of forgotten rows, so the table stays as small as the recent failures. */
export async function pruneForgotten(tx: Tx): Promise<void> {
  await tx.query('delete from login_failures where id in (select id from login_failures where forget_after < now() limit 100)');
}
