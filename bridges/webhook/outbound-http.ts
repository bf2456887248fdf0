import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { OutboundPayload } from './outbound-store.js';
import { PRIVATE_TARGET } from 'matrix-bridgekit';

/** What one POST came to. */
export type Attempt =
  | { readonly kind: 'delivered'; readonly status: number }
  /** The target answered, and asking again will not change its mind (4xx, redirects); or it may not be reached at all (status 0). */
  | { readonly kind: 'rejected'; readonly status: number; readonly reason?: string }
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
 * the room agreed to); the response body is discarded. `lookup` resolves the target's
 * name for the connection (the private-address guard); a connection it refuses is a
 * rejection, not something to retry.
 */
export function postMessage(url: string, payload: OutboundPayload, timeoutMs: number, lookup?: LookupFunction): Promise<Attempt> {
  const body = Buffer.from(JSON.stringify(payload));
  return new Promise((resolve) => {
    let request: ClientRequest;
    try {
      const send = url.startsWith('https:') ? httpsRequest : httpRequest;
      request = send(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length, 'idempotency-key': payload.id, 'user-agent': 'bridgekit-webhook' },
        signal: AbortSignal.timeout(timeoutMs),
        ...(lookup ? { lookup } : {}),
      }, (response) => {
        response.resume();
        resolve(outcome(response.statusCode ?? 0, response.headers['retry-after']));
      });
    } catch (err) {
      resolve({ kind: 'rejected', status: 0, reason: `not a usable URL: ${causeOf(err)}` });
      return;
    }
    request.on('error', (err: Error & { code?: string }) => {
      if (err.code === PRIVATE_TARGET) resolve({ kind: 'rejected', status: 0, reason: err.message });
      else if (err.name === 'AbortError') resolve({ kind: 'retry', reason: `no answer within ${timeoutMs} ms` });
      else resolve({ kind: 'retry', reason: `network error: ${causeOf(err)}` });
    });
    request.end(body);
  });
}

function outcome(status: number, retryAfter: string | undefined): Attempt {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (!isRetryable(status)) return { kind: 'rejected', status };
  const retryAfterMs = parseRetryAfter(retryAfter ?? null);
  return { kind: 'retry', reason: `HTTP ${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

function causeOf(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.message : String(err);
}
