/**
 * Matrix errors as the spec shapes them: `{errcode, error}` plus a status. Route handlers
 * throw these; the server turns them into responses, so no handler builds error JSON itself.
 */
export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    /** Extra top-level fields, e.g. `retry_after_ms` or the ping's `status`/`body`. */
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'MatrixError';
  }

  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

export const forbidden = (message: string) => new MatrixError(403, 'M_FORBIDDEN', message);
export const notFound = (message: string) => new MatrixError(404, 'M_NOT_FOUND', message);
export const badJson = (message: string) => new MatrixError(400, 'M_BAD_JSON', message);
export const notJson = (message: string) => new MatrixError(400, 'M_NOT_JSON', message);
export const invalidParam = (message: string) => new MatrixError(400, 'M_INVALID_PARAM', message);
export const missingParam = (message: string) => new MatrixError(400, 'M_MISSING_PARAM', message);
export const exclusive = (message: string) => new MatrixError(400, 'M_EXCLUSIVE', message);
export const unknownToken = (message = 'Unrecognised access token') => new MatrixError(401, 'M_UNKNOWN_TOKEN', message, { soft_logout: false });
export const missingToken = () => new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token');
export const unrecognized = (message = 'Unrecognized request') => new MatrixError(404, 'M_UNRECOGNIZED', message);

/** 429 M_LIMIT_EXCEEDED with the wait as `retry_after_ms` and/or a `Retry-After` header (whole seconds). */
export function limitExceeded(retryAfterMs: number, where: { readonly header: boolean; readonly body: boolean }): MatrixError {
  const extra = where.body ? { retry_after_ms: retryAfterMs } : {};
  const headers: Record<string, string> = where.header ? { 'Retry-After': String(Math.max(0, Math.ceil(retryAfterMs / 1000))) } : {};
  return new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too Many Requests', extra, headers);
}
