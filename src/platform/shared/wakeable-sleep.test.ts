import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWakeableSleep } from './wakeable-sleep.js';

// A clock the test moves (vitest's fake timers): what ends each sleep is checked, not how fast the machine is.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Whether the sleep has ended, checked after the promise callbacks that are due have run. */
const settled = (sleep: Promise<void>) => {
  let done = false;
  void sleep.then(() => (done = true));
  return async () => {
    await vi.advanceTimersByTimeAsync(0);
    return done;
  };
};

describe('createWakeableSleep', () => {
  it('sleeps the whole time when nobody wakes it', async () => {
    const ended = settled(createWakeableSleep().sleep(100));
    await vi.advanceTimersByTimeAsync(99);
    expect(await ended()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await ended()).toBe(true);
  });

  it('ends a sleep when woken', async () => {
    const pause = createWakeableSleep();
    const ended = settled(pause.sleep(10_000));
    await vi.advanceTimersByTimeAsync(10);
    expect(await ended()).toBe(false);
    pause.wake();
    expect(await ended()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps a wake-up that came between sleeps for the next one, once', async () => {
    const pause = createWakeableSleep();
    pause.wake();
    expect(await settled(pause.sleep(10_000))()).toBe(true);
    const next = settled(pause.sleep(100));
    await vi.advanceTimersByTimeAsync(99);
    expect(await next()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await next()).toBe(true);
  });
});
