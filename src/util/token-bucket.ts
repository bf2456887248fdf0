/**
 * A token bucket: `burst` actions at once, then one per `intervalMs`. For rate limits a
 * plugin keeps (an IRC server's flood limit, a webhook's inbound rate).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly burst: number, private readonly intervalMs: number, private readonly now: () => number = Date.now) {
    this.tokens = burst;
    this.last = now();
  }

  /** How long to wait before the next action may go (0: now). Takes the token when 0. */
  take(): number {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.tokens) * this.intervalMs);
  }

  /** Whether the bucket is full again (nothing to remember about it). */
  get full(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) / this.intervalMs);
    this.last = now;
  }
}
