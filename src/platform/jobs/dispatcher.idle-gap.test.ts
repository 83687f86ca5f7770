import { describe, expect, it, vi } from 'vitest';
import { useTestDatabase } from '../../../test/database.js';
import type { Db } from '../db/database.js';
import { testLogger } from '../../../test/logger.js';
import { createDispatcher } from './dispatcher.js';

// A real database of its own, with no job queued: every round of the dispatcher below finds nothing to do.
const context = useTestDatabase();

describe('an idle dispatcher woken during its rounds', () => {
  it('waits the gap after each idle round that a wake came during, instead of running a round per wake', async () => {
    // The prune starts with every round (due at once), so its calls time the rounds; it wakes the
    // dispatcher once the round is under way, as a stream of commit signals that queue nothing does.
    // Each statement (a round's last is its claim) is timed as it returns.
    const roundsStarted: number[] = [];
    const statementsEnded: number[] = [];
    const { db } = context;
    const timed = new Proxy(db, {
      get(target, key) {
        if (key === 'query') {
          return async (...args: Parameters<Db['query']>) => {
            const result = await target.query(...args);
            statementsEnded.push(performance.now());
            return result;
          };
        }
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    let dispatcher: ReturnType<typeof createDispatcher> | null = null;
    const prune = {
      intervalMs: 0,
      run: async () => {
        roundsStarted.push(performance.now());
        await Promise.resolve();
        dispatcher?.wake();
      },
    };
    // An hour's poll: only the wakes start rounds.
    dispatcher = createDispatcher(timed, [], testLogger, { pollMs: 3_600_000, batchSize: 20, leaseMs: 60_000, backoffBaseMs: 0, backoffMaxMs: 0, prune });
    dispatcher.start();
    await vi.waitFor(() => expect(roundsStarted.length).toBeGreaterThanOrEqual(5), { timeout: 10_000 });
    await dispatcher.stop();
    // From the last statement before each round to the round: a lower bound only (a timer never fires
    // early, however slow the machine). Without the gap, each round followed the last at once.
    for (const started of roundsStarted.slice(1)) {
      const lastEnded = Math.max(...statementsEnded.filter((ended) => ended < started));
      expect(started - lastEnded).toBeGreaterThanOrEqual(19);
    }
  });
});
