import { TokenBucket } from 'matrix-bridgekit';

/** Buckets kept at most; full ones (idle hooks) are dropped first. */
const MAX_BUCKETS = 10_000;

/**
 * A token bucket per hook: a script posting in a loop fills the room no faster than the
 * limit, and other hooks are not held back by it. Returns how long the caller must wait
 * (0: go; the turn is taken).
 */
export function hookRateLimit(burst: number, intervalMs: number, now: () => number = Date.now): (hookId: string) => number {
  const buckets = new Map<string, TokenBucket>();
  return (hookId) => {
    let bucket = buckets.get(hookId);
    if (!bucket) {
      if (buckets.size >= MAX_BUCKETS) {
        for (const [id, b] of buckets) if (b.full) buckets.delete(id);
      }
      bucket = new TokenBucket(burst, intervalMs, now);
      buckets.set(hookId, bucket);
    }
    return bucket.take();
  };
}
