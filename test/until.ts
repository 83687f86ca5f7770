/**
 * Waits for `condition` to hold, checking every `everyMs`; throws after `timeoutMs` naming `what`. A
 * deadline for something that will happen, never a measure of how fast it happened.
 */
export async function until(condition: () => boolean | Promise<boolean>, what: string, { timeoutMs = 30_000, everyMs = 20 } = {}): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
