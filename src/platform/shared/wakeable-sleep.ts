/**
 * The pause of a polling loop: `wake()` cuts it short, and a wake-up that comes while the loop is busy
 * (between pauses) is kept, so the next pause returns at once instead of missing it.
 */
export interface WakeableSleep {
  sleep(ms: number): Promise<void>;
  wake(): void;
}

export function createWakeableSleep(): WakeableSleep {
  let woken = false;
  let cutShort: (() => void) | null = null;
  return {
    sleep(ms) {
      return new Promise<void>((resolve) => {
        if (woken) {
          woken = false;
          resolve();
          return;
        }
        const finish = () => {
          clearTimeout(timer);
          cutShort = null;
          woken = false;
          resolve();
        };
        const timer = setTimeout(finish, ms);
        cutShort = finish;
      });
    },
    wake() {
      woken = true;
      cutShort?.();
    },
  };
}
