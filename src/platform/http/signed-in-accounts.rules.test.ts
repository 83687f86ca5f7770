import { describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import { createMetrics } from '../shared/metrics.js';
import type { AccountState } from './authenticate.js';
import { createSignedInAccounts } from './signed-in-accounts.js';
import { testLogger } from '../../../test/logger.js';

// The signed-in accounts' rules where timing decides, with the change feed driven by the test (the
// batches are what a process's feed hands on) and reads the test lets finish when it chooses: cases the
// app's tests (signed-in-accounts.test.ts, on a real database) cannot force.

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/** Lets the reads started so far begin (find awaits the feed's start before it reads). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const alice = '00000000-0000-4000-8000-00000000a11c';

function accountsWithHandFeed() {
  /** The accounts as committed; a read sees them as they were when it began, and ends when the test says. */
  const committed = new Map<string, AccountState>([[alice, { id: alice, role: 'IT', status: 'ACTIVE', provider_id: null }]]);
  const reads: Array<{ userId: string; finish: () => void }> = [];
  const metrics = createMetrics();
  const accounts = createSignedInAccounts({ maxEntries: 100, ttlSeconds: 60 }, {
    load(userId) {
      const seen = committed.get(userId) ?? null;
      const gate = deferred<void>();
      reads.push({ userId, finish: () => gate.resolve() });
      return gate.promise.then(() => seen);
    },
    startFeed: async () => undefined,
    wakeFeed: () => undefined,
    reads: metrics.signedInAccountReads,
    logger: testLogger,
    now: () => 0,
  });
  // A round that left nothing unread: accounts may be answered from memory.
  accounts.observer.roundStarting();
  accounts.observer.roundSettled();
  /** Finds the account, letting every read it starts finish at once. */
  const findNow = async (userId: string) => {
    const found = accounts.find(userId);
    await settle();
    for (const read of reads) read.finish();
    return found;
  };
  return { accounts, committed, reads, findNow };
}

describe('a change to the account that arrives while the account is being read', () => {
  it('answers the read to its callers but does not keep it: the next request reads again', async () => {
    const { accounts, committed, reads, findNow } = accountsWithHandFeed();
    const first = accounts.find(alice);
    const joined = accounts.find(alice);
    await settle();
    expect(reads).toHaveLength(1);
    // Committed after that read's snapshot, and read by the feed before the read returns.
    committed.set(alice, { id: alice, role: 'IT', status: 'INACTIVE', provider_id: null });
    accounts.observer.batch({ changes: [{ table: 'users', rowId: alice }] });
    reads[0]!.finish();
    expect((await first)?.status).toBe('ACTIVE');
    expect((await joined)?.status).toBe('ACTIVE');
    expect((await findNow(alice))?.status).toBe('INACTIVE');
    expect(reads).toHaveLength(2);
  });

  it('does not let a later request join the stale read, nor the stale read overwrite the newer one when it ends last', async () => {
    const { accounts, committed, reads, findNow } = accountsWithHandFeed();
    const stale = accounts.find(alice);
    await settle();
    committed.set(alice, { id: alice, role: 'AD', status: 'ACTIVE', provider_id: null });
    accounts.observer.batch({ changes: [{ table: 'users', rowId: alice }] });
    const fresh = accounts.find(alice);
    await settle();
    expect(reads).toHaveLength(2);
    reads[1]!.finish();
    expect((await fresh)?.role).toBe('AD');
    reads[0]!.finish();
    expect((await stale)?.role).toBe('IT');
    // Kept: the read begun after the change, answered from memory now.
    expect((await findNow(alice))?.role).toBe('AD');
    expect(reads).toHaveLength(2);
  });

  it('treats a change to the provider memberships as a change to every account being read', async () => {
    const { accounts, committed, reads, findNow } = accountsWithHandFeed();
    const first = accounts.find(alice);
    await settle();
    committed.set(alice, { id: alice, role: 'AP', status: 'ACTIVE', provider_id: '00000000-0000-4000-8000-0000000000b1' });
    accounts.observer.batch({ changes: [{ table: 'provider_members', rowId: '00000000-0000-4000-8000-0000000000f1' }] });
    reads[0]!.finish();
    expect((await first)?.provider_id).toBeNull();
    expect((await findNow(alice))?.provider_id).toBe('00000000-0000-4000-8000-0000000000b1');
    expect(reads).toHaveLength(2);
  });

  it("never answers from memory what a read overtaken by this process's own commit returned", async () => {
    const { accounts, committed, reads, findNow } = accountsWithHandFeed();
    const first = accounts.find(alice);
    await settle();
    // This process deactivates the account while the read runs; its feed has not read the commit yet.
    committed.set(alice, { id: alice, role: 'IT', status: 'INACTIVE', provider_id: null });
    accounts.noteLocalCommit();
    reads[0]!.finish();
    expect((await first)?.status).toBe('ACTIVE');
    expect((await findNow(alice))?.status).toBe('INACTIVE');
    // The feed's next round reads the commit: what the overtaken read left is gone with it.
    accounts.observer.roundStarting();
    accounts.observer.batch({ changes: [{ table: 'users', rowId: alice }] });
    accounts.observer.roundSettled();
    expect((await findNow(alice))?.status).toBe('INACTIVE');
    expect(reads).toHaveLength(3);
  });

  it('keeps a read that no change overtook, and ends it on a change read later', async () => {
    const { accounts, committed, reads, findNow } = accountsWithHandFeed();
    expect((await findNow(alice))?.role).toBe('IT');
    expect((await findNow(alice))?.role).toBe('IT');
    expect(reads).toHaveLength(1);
    committed.set(alice, { id: alice, role: 'AD', status: 'ACTIVE', provider_id: null });
    accounts.observer.batch({ changes: [{ table: 'users', rowId: alice }] });
    expect((await findNow(alice))?.role).toBe('AD');
    expect(reads).toHaveLength(2);
  });
});

describe('signed-in accounts while the change feed cannot start', () => {
  it('warns once, not at every request, and reads every account from the database meanwhile', async () => {
    const lines: Array<{ msg: string }> = [];
    const metrics = createMetrics();
    let feedStarts = false;
    let reads = 0;
    const accounts = createSignedInAccounts({ maxEntries: 100, ttlSeconds: 60 }, {
      load: async (userId) => {
        reads += 1;
        return { id: userId, role: 'IT', status: 'ACTIVE', provider_id: null };
      },
      startFeed: async () => {
        if (!feedStarts) throw new Error('connection refused');
      },
      wakeFeed: () => undefined,
      reads: metrics.signedInAccountReads,
      logger: createLogger({ logLevel: 'warn', logFormat: 'json' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
      now: () => 0,
    });
    for (let request = 0; request < 3; request += 1) expect((await accounts.find(alice))?.id).toBe(alice);
    expect(reads).toBe(3);
    expect(lines.map((line) => line.msg)).toEqual(['signed-in accounts: the change feed could not start; reading every account']);
    // It starts: once its first round settles, accounts are kept; no further warning.
    feedStarts = true;
    await accounts.find(alice);
    accounts.observer.roundStarting();
    accounts.observer.roundSettled();
    await accounts.find(alice);
    await accounts.find(alice);
    expect(reads).toBe(5);
    expect(lines).toHaveLength(1);
  });
});
