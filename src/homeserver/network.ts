/**
 * Reads what kind of connection failure a request reported. undici's `request()` rejects
 * with the socket's own error (`ECONNREFUSED`) or its own (`UND_ERR_SOCKET`,
 * `UND_ERR_CONNECT_TIMEOUT`); `fetch` wraps the same as `TypeError('fetch failed', { cause })`,
 * sometimes with an AggregateError inside (one per address tried), so the code is searched
 * for along the cause chain.
 */

/** Failures that happen before a single byte of the request was sent. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT',
]);

export function networkErrorCode(err: unknown): string {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      current = errors[0];
      continue;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return 'UNKNOWN';
}

/** True when the request provably never reached the homeserver, so repeating it is always safe. */
export function wasNotSent(code: string): boolean {
  return NOT_SENT_CODES.has(code);
}
