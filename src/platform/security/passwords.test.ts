import { describe, expect, it } from 'vitest';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords.js';

// Real argon2id. The sign-in of an unknown e-mail must cost what a wrong password costs, or the time of
// the answer tells which addresses have accounts: the same work is checked here, not the duration
// (timings flake on a busy machine).
const parametersOf = (hash: string) => /^\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$/.exec(hash)?.[0];

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(await verifyPassword(hash, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(hash, 'correct horse battery stapler')).toBe(false);
  });

  it('for a missing hash verifies against a throwaway argon2id hash of the same cost, and refuses', async () => {
    const dummy = await dummyPasswordHash();
    expect(parametersOf(dummy)).toBe('$argon2id$v=19$m=19456,t=2,p=1$');
    expect(parametersOf(dummy)).toBe(parametersOf(await hashPassword('any password at all')));
    // The throwaway hash is of a known text: it must still not let that text in for a missing account.
    expect(await verifyPassword(null, 'not a password anyone has: it only spends the same time')).toBe(false);
    expect(await verifyPassword(null, 'a wrong password, surely')).toBe(false);
  });
});
