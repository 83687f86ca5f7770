import { describe, expect, it } from 'vitest';
import { whenReady } from './now-or-later.js';

describe('whenReady', () => {
  it('uses a value that is here in the same turn, without a promise', () => {
    let used: number | null = null;
    const result = whenReady(2, (ready) => (used = ready * 3));
    expect(used).toBe(6);
    expect(result).toBe(6);
  });

  it('uses a promised value once it settles, and passes a rejection on untouched', async () => {
    let used: number | null = null;
    const result = whenReady(Promise.resolve(2), (ready) => (used = ready * 3));
    expect(used).toBeNull();
    await expect(result).resolves.toBe(6);
    const refused = new Error('no');
    await expect(whenReady(Promise.reject(refused), () => 'used')).rejects.toBe(refused);
  });
});
