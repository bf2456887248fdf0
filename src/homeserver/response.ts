import { MatrixError, ResponseFormatError } from './errors.js';
import { parseRetryAfterHeader, parseRetryAfterMs } from './retry-policy.js';

/** Longest piece of a non-JSON error body kept in the error message. */
const SNIPPET_LENGTH = 200;

/** Parses a success body; anything that is not JSON is the homeserver's fault, said plainly. */
export function parseSuccessBody(method: string, path: string, status: number, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const what = text.length === 0 ? 'empty body' : `not JSON: ${snippet(text)}`;
    throw new ResponseFormatError(method, path, status, what, err);
  }
}

/**
 * Builds the MatrixError for an error status. A body that is not the standard error
 * response (a proxy's HTML 502, say) still becomes a MatrixError, with `M_UNKNOWN`, so
 * callers handle one type and the spec's advice "with M_UNKNOWN, trust the status" holds.
 */
export function toMatrixError(
  method: string,
  path: string,
  status: number,
  retryAfter: string | null,
  text: string,
  now: number,
): MatrixError {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: described below from the status and a snippet.
  }
  const errcode = typeof body['errcode'] === 'string' ? body['errcode'] : 'M_UNKNOWN';
  const error = typeof body['error'] === 'string'
    ? body['error']
    : `HTTP ${status}${text.length > 0 ? `: ${snippet(text)}` : ''}`;
  // Retry-After (spec v1.10+) wins over the deprecated body field.
  const retryAfterMs = parseRetryAfterHeader(retryAfter, now) ?? parseRetryAfterMs(body);
  return new MatrixError(method, path, status, errcode, error, retryAfterMs, body);
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > SNIPPET_LENGTH ? `${flat.slice(0, SNIPPET_LENGTH)}…` : flat;
}
