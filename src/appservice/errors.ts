/**
 * A Matrix-shaped HTTP error: every error bridgekit answers is `{errcode, error}` with
 * the status the spec gives it.
 */
export class MatrixHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    /** Extra fields for the body (e.g. `retry_after_ms`) and headers (e.g. `Retry-After`). */
    readonly extra: { body?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'MatrixHttpError';
  }

  get body(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra.body };
  }
}

export const unauthorized = () =>
  new MatrixHttpError(401, 'M_UNAUTHORIZED', 'Missing hs_token: send Authorization: Bearer <hs_token>');
export const forbidden = (why = 'Invalid hs_token') => new MatrixHttpError(403, 'M_FORBIDDEN', why);
export const notFound = (what: string) => new MatrixHttpError(404, 'M_NOT_FOUND', what);
export const unrecognized = (status: 404 | 405, message: string) =>
  new MatrixHttpError(status, 'M_UNRECOGNIZED', message);
export const notJson = (why: string) => new MatrixHttpError(400, 'M_NOT_JSON', `Request body is not valid JSON: ${why}`);
export const badJson = (why: string) => new MatrixHttpError(400, 'M_BAD_JSON', why);
export const missingParam = (name: string) =>
  new MatrixHttpError(400, 'M_MISSING_PARAM', `Missing query parameter '${name}'`);
/** The client closed the connection before its body was complete: nothing can be answered, nothing is wrong here. */
export const requestAborted = () =>
  new MatrixHttpError(400, 'M_UNKNOWN', 'The request was aborted before its body was complete');
export const tooLarge = (limit: number) =>
  new MatrixHttpError(413, 'M_TOO_LARGE', `Request body is larger than ${limit} bytes`);

/** Maps statuses that Koa or a library raised on its own to the spec's errcodes. */
export function errcodeForStatus(status: number): string {
  switch (status) {
    case 400: return 'M_BAD_JSON';
    case 401: return 'M_UNAUTHORIZED';
    case 403: return 'M_FORBIDDEN';
    case 404: case 405: return 'M_UNRECOGNIZED';
    case 413: return 'M_TOO_LARGE';
    case 429: return 'M_LIMIT_EXCEEDED';
    default: return 'M_UNKNOWN';
  }
}
