/**
 * How long to wait before trying a request again. Pure functions, so the rules can be
 * tested without a server and the client loop stays readable.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** First backoff delay when the homeserver gives no delay; doubles per attempt. */
  readonly baseDelayMs: number;
  /** Cap on one backoff delay we choose ourselves. */
  readonly maxDelayMs: number;
  /**
   * Cap on the total time spent waiting between attempts of one request. A homeserver that
   * asks for a longer wait gets the error back to the caller, who can schedule it instead
   * of holding a request open.
   */
  readonly maxTotalWaitMs: number;
  /** Timeout of one attempt, headers and body included. */
  readonly timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxTotalWaitMs: 120_000,
  timeoutMs: 30_000,
};

/**
 * Parses a `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Returns milliseconds from `now`, or undefined when absent or unreadable.
 */
export function parseRetryAfterHeader(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** `retry_after_ms` from an error body (deprecated since v1.10 but still sent). */
export function parseRetryAfterMs(body: Readonly<Record<string, unknown>>): number | undefined {
  const value = body['retry_after_ms'];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Our own delay before attempt `attempt + 1` (attempt counts from 1): exponential from the
 * base, capped, with jitter in [50 %, 100 %] so that many senders throttled together do not
 * come back in lockstep.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + random() / 2));
}
