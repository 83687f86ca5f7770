import { hash, verify } from '@node-rs/argon2';
import { AppError } from '../../errors.js';

export const minimumPasswordLength = 12;
/** Long enough for any passphrase; bounds the work one request can ask of the hasher. */
export const maximumPasswordLength = 1024;

/**
 * argon2id with OWASP's first recommended setting (m = 19 MiB, t = 2, p = 1): about 20–40 ms on
 * one core. The parameters live in every stored hash, so raising them later still verifies old ones.
 * `algorithm: 2` is Argon2id: the package's enum is `const`, which isolated modules cannot import.
 */
const argon2idOptions = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Refuses a password that is too short or too long, naming the field it came from. */
export function assertAcceptablePassword(password: string, field: string): void {
  if (password.length < minimumPasswordLength) {
    throw new AppError('VALIDATION_FAILED', `${field} must be at least ${minimumPasswordLength} characters long`, { field });
  }
  if (password.length > maximumPasswordLength) {
    throw new AppError('VALIDATION_FAILED', `${field} must be at most ${maximumPasswordLength} characters long`, { field });
  }
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2idOptions);
}

let dummyHash: Promise<string> | undefined;
const dummy = () => (dummyHash ??= hashPassword('not a password anyone has: it only spends the same time'));

/** Makes the throwaway hash `verifyPassword` uses for missing accounts, ahead of the first sign-in. */
export async function prepareDummyHash(): Promise<void> {
  await dummy();
}

/** The throwaway hash itself, for the test that checks it costs what a real one does. */
export function dummyPasswordHash(): Promise<string> {
  return dummy();
}

/**
 * Checks a password against a stored hash. With no hash (no such account, or one without a
 * password) it verifies against a throwaway hash of the same cost, so that both answers take about
 * as long and the time does not tell which e-mail addresses have accounts.
 */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  const matches = await verify(storedHash ?? (await dummy()), password).catch(() => false);
  return storedHash !== null && matches;
}
