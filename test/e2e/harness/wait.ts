/** Default patience for things a real homeserver does: it is slower than the test one. */
export const E2E_WAIT_MS = 15_000;

/** How often a condition is checked: often enough to be quick, rare enough not to load Synapse. */
const POLL_MS = 100;

/** Polls `check` until it gives a value, or fails naming `what` after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, timeoutMs = E2E_WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

/** Resolves after `ms`. For "nothing more happens" checks only; wait for a condition otherwise. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
