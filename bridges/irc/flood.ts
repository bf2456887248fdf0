import { TokenBucket } from 'matrix-bridgekit';
import { delay } from './timing.js';

export { TokenBucket };

/**
 * Flood control: a token bucket per IRC connection. Servers disconnect clients that send
 * faster than they allow ("Excess Flood"); a burst of lines goes out at once, after that
 * one line per interval. Resolves once a token was taken; `signal` aborts the wait.
 */
export async function acquire(bucket: TokenBucket, signal?: AbortSignal): Promise<void> {
  for (;;) {
    const wait = bucket.take();
    if (wait === 0) return;
    await delay(wait, signal);
  }
}

/**
 * Reconnection delay before attempt `attempt` (1-based): doubling from `baseMs` up to
 * `maxMs`, with "equal jitter" (between half and all of it) so that many connections
 * dropped at once by a server restart do not all come back in the same instant.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
