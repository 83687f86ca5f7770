import { describe, expect, it } from 'vitest';
import { createWakeableSleep } from './wakeable-sleep.js';

const elapsed = async (run: () => Promise<void>) => {
  const started = Date.now();
  await run();
  return Date.now() - started;
};

describe('createWakeableSleep', () => {
  it('sleeps the whole time when nobody wakes it', async () => {
    expect(await elapsed(() => createWakeableSleep().sleep(100))).toBeGreaterThanOrEqual(90);
  });

  it('ends a sleep when woken', async () => {
    const pause = createWakeableSleep();
    setTimeout(() => pause.wake(), 10);
    expect(await elapsed(() => pause.sleep(10_000))).toBeLessThan(5_000);
  });

  it('keeps a wake-up that came between sleeps for the next one, once', async () => {
    const pause = createWakeableSleep();
    pause.wake();
    expect(await elapsed(() => pause.sleep(10_000))).toBeLessThan(5_000);
    expect(await elapsed(() => pause.sleep(100))).toBeGreaterThanOrEqual(90);
  });
});
