import { delay } from './timing.js';

/**
 * Flood control: a token bucket per IRC connection. Servers disconnect clients that send
 * faster than they allow ("Excess Flood"); a burst of `burst` lines goes out at once,
 * after that one line per `intervalMs`.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly burst: number, private readonly intervalMs: number, private readonly now: () => number = Date.now) {
    this.tokens = burst;
    this.last = now();
  }

  /** How long to wait before the next line may go (0: now). Takes the token when 0. */
  take(): number {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.tokens) * this.intervalMs);
  }

  /** Resolves once a token was taken; `signal` aborts the wait. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const wait = this.take();
      if (wait === 0) return;
      await delay(wait, signal);
    }
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) / this.intervalMs);
    this.last = now;
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
