import type { OutboundPayload } from './outbound-store.js';

/** What one POST came to. */
export type Attempt =
  | { readonly kind: 'delivered'; readonly status: number }
  /** The target answered, and asking again will not change its mind (4xx, redirects). */
  | { readonly kind: 'rejected'; readonly status: number }
  /** Worth another try: network error, timeout, 5xx, 408, 429. */
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number };

/** Longest `Retry-After` honoured: a target asking for more is retried at this pace. */
const MAX_RETRY_AFTER_MS = 3600_000;

/** `Retry-After` as seconds or an HTTP date, in ms from now. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const ms = /^\s*\d+\s*$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

/** Capped exponential backoff with ±20% jitter, so failed deliveries do not retry in step. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const exact = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(exact * (0.8 + Math.random() * 0.4));
}

function isRetryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * POSTs one message. Redirects are not followed (a POST redirected elsewhere is not what
 * the room agreed to); the response body is discarded.
 */
export async function postMessage(url: string, payload: OutboundPayload, timeoutMs: number): Promise<Attempt> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': payload.id, 'user-agent': 'bridgekit-webhook' },
      body: JSON.stringify(payload),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `network error: ${causeOf(err)}`;
    return { kind: 'retry', reason };
  }
  await response.body?.cancel().catch(() => undefined);
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (!isRetryable(status)) return { kind: 'rejected', status };
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return { kind: 'retry', reason: `HTTP ${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

function causeOf(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
