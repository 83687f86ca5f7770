import { describe, expect, it } from 'vitest';
import { createMemo } from './cached-as-caller.js';

// The memo that keeps a caller's cache keys and a list's key by its URL (decision 0110): bounded in entries
// and in the length of a key it keeps.
describe('createMemo', () => {
  it('makes a value once per key, and makes them all again once it held its most', () => {
    const memo = createMemo<{ key: string }>(2);
    const made: string[] = [];
    const make = (key: string) => () => {
      made.push(key);
      return { key };
    };
    const first = memo('a', make('a'));
    expect(memo('a', make('a'))).toBe(first);
    memo('b', make('b'));
    // Full: the third key drops what was kept.
    memo('c', make('c'));
    expect(memo('a', make('a'))).not.toBe(first);
    expect(made).toEqual(['a', 'b', 'c', 'a']);
  });

  it('never keeps a value of a key longer than 256 characters', () => {
    const memo = createMemo<object>(10);
    const long = `/v1/locations?cursor=${'x'.repeat(300)}`;
    const first = memo(long, () => ({}));
    expect(memo(long, () => ({}))).not.toBe(first);
    const short = '/v1/locations?limit=20';
    const kept = memo(short, () => ({}));
    expect(memo(short, () => ({}))).toBe(kept);
  });
});
