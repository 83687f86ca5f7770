import { describe, expect, it } from 'vitest';
import { laterWalPosition, parseWalPosition, walOffset, walReached } from './wal-position.js';

// WAL positions as pg_lsn prints them: what a client sends back in x-read-after, compared with what a replica replayed.
describe('WAL positions', () => {
  it('accepts pg_lsn text only, upper-cased; anything else is no position (a client hint, never an error)', () => {
    expect(parseWalPosition('16/b374d848')).toBe('16/B374D848');
    for (const bad of [undefined, null, '', '16', '16/', 'x/1', '1/2/3', '123456789/0', "0/1'; drop table users"]) expect(parseWalPosition(bad)).toBeNull();
  });

  it('compares by byte offset, the high half first', () => {
    expect(walOffset('1/0')).toBe(2n ** 32n);
    expect(walReached('1/0', '0/FFFFFFFF')).toBe(true);
    expect(walReached('0/FFFFFFFF', '1/0')).toBe(false);
    expect(walReached('0/10', null)).toBe(true);
    expect(laterWalPosition('0/A', '0/9')).toBe('0/A');
    expect(laterWalPosition(null, '0/9')).toBe('0/9');
    expect(laterWalPosition(undefined, null)).toBeNull();
  });
});
