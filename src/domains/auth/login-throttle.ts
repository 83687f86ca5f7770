import type { Db, Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { clearFailures, countFailure, lockKey, pruneForgotten, secondsLocked, type ThrottleKey } from './login-throttle.repository.js';

/**
 * Failed sign-ins slow down further attempts, per account (the e-mail typed, known or not) and per
 * client address. From the `threshold`-th failure on, each failure locks the key for 1 s, 2 s,
 * 4 s … up to 15 minutes; failures are forgotten 15 minutes after the last one (or after the lock
 * ends). An address gets a higher threshold than an account: many people may share one address.
 */
export const loginThrottlePolicy = {
  accountThreshold: 5,
  addressThreshold: 20,
  maximumLockSeconds: 15 * 60,
  forgetAfterSeconds: 15 * 60,
} as const;

export function lockSecondsAfter(failures: number, threshold: number): number {
  if (failures < threshold) return 0;
  return Math.min(2 ** Math.min(failures - threshold, 30), loginThrottlePolicy.maximumLockSeconds);
}

export interface LoginAttempt {
  account: ThrottleKey;
  address: ThrottleKey;
}

/** Refuses the attempt with 429 and a Retry-After while its account or its address is locked. */
export async function refuseWhileLocked(db: Db, attempt: LoginAttempt): Promise<void> {
  const seconds = await secondsLocked(db, [attempt.account, attempt.address]);
  if (seconds > 0) {
    throw new AppError('RATE_LIMITED', `too many failed sign-ins; try again in ${seconds} s`, { retryAfterSeconds: seconds });
  }
}

export async function recordLoginFailure(db: Db, attempt: LoginAttempt): Promise<void> {
  const { forgetAfterSeconds } = loginThrottlePolicy;
  await db.transaction(async (tx) => {
    const counted = await countFailure(tx, [attempt.account, attempt.address], forgetAfterSeconds);
    for (const key of counted) {
      const threshold = key.scope === 'ACCOUNT' ? loginThrottlePolicy.accountThreshold : loginThrottlePolicy.addressThreshold;
      const seconds = lockSecondsAfter(key.failures, threshold);
      if (seconds > 0) await lockKey(tx, key, seconds, forgetAfterSeconds);
    }
    await pruneForgotten(tx);
  });
}

/**
 * A successful sign-in forgets the account's failures. The address keeps its count (it decays by
 * time): otherwise anyone could wipe it by signing in to an account of their own between guesses.
 */
export async function clearAccountFailures(tx: Tx, attempt: Pick<LoginAttempt, 'account'>): Promise<void> {
  await clearFailures(tx, attempt.account);
}
