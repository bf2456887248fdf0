/**
 * What can go wrong talking to the homeserver, as distinct types, because callers act
 * differently on each: a `MatrixError` is the homeserver's answer (it decided), a
 * `RequestTimeoutError` or an ambiguous `NetworkError` means nobody knows whether the
 * request took effect, and a `ResponseFormatError` means it answered but not in Matrix.
 */

/** Common fields: which request failed. `path` never carries the query string. */
export abstract class HomeserverRequestError extends Error {
  constructor(message: string, readonly method: string, readonly path: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The homeserver answered with an error status (the standard error response, or not JSON at all). */
export class MatrixError extends HomeserverRequestError {
  constructor(
    method: string,
    path: string,
    readonly status: number,
    readonly errcode: string,
    /** The homeserver's human-readable message. */
    readonly error: string,
    /** How long the homeserver asked us to wait (Retry-After or retry_after_ms), when it said. */
    readonly retryAfterMs: number | undefined,
    /** The whole error body, for endpoint-specific keys (`room_version`, `admin_contact`, …). */
    readonly body: Readonly<Record<string, unknown>>,
  ) {
    super(`${method} ${path} failed: ${status} ${errcode}: ${error}`, method, path);
    this.name = 'MatrixError';
  }

  get isRateLimited(): boolean {
    return this.status === 429 || this.errcode === 'M_LIMIT_EXCEEDED';
  }

  get isForbidden(): boolean {
    return this.errcode === 'M_FORBIDDEN' || (this.errcode === 'M_UNKNOWN' && this.status === 403);
  }

  /** Spec: with M_UNKNOWN the status is the better guide, so a bare 404 counts too. */
  get isNotFound(): boolean {
    return this.errcode === 'M_NOT_FOUND' || (this.errcode === 'M_UNKNOWN' && this.status === 404);
  }

  get isUnknownToken(): boolean {
    return this.errcode === 'M_UNKNOWN_TOKEN' || this.errcode === 'M_MISSING_TOKEN';
  }

  get isUserInUse(): boolean {
    return this.errcode === 'M_USER_IN_USE';
  }

  get isExclusive(): boolean {
    return this.errcode === 'M_EXCLUSIVE';
  }

  get isServerError(): boolean {
    return this.status >= 500;
  }
}

/**
 * No answer within the timeout. The request may or may not have taken effect: callers must
 * not read this as a refusal (a join that timed out is "unknown", never "not joined").
 */
export class RequestTimeoutError extends HomeserverRequestError {
  readonly outcome = 'unknown' as const;

  constructor(method: string, path: string, readonly timeoutMs: number) {
    super(`${method} ${path}: no answer from the homeserver within ${timeoutMs} ms (outcome unknown)`, method, path);
    this.name = 'RequestTimeoutError';
  }
}

/**
 * The connection failed. `delivered` is false when the request provably never left
 * (connection refused, name not resolved), 'unknown' when the connection broke after it
 * may have been sent.
 */
export class NetworkError extends HomeserverRequestError {
  constructor(method: string, path: string, readonly code: string, readonly delivered: false | 'unknown', cause: unknown) {
    super(`${method} ${path}: network error ${code}${delivered === false ? ' (not sent)' : ' (outcome unknown)'}`, method, path, { cause });
    this.name = 'NetworkError';
  }
}

/** The homeserver answered success, but the body is not the JSON the endpoint promises. */
export class ResponseFormatError extends HomeserverRequestError {
  constructor(method: string, path: string, readonly status: number, problem: string, cause?: unknown) {
    super(`${method} ${path}: homeserver answered ${status} with an invalid body: ${problem}`, method, path, { cause });
    this.name = 'ResponseFormatError';
  }
}

/** A download larger than the caller allows; it was not read to the end. */
export class MediaTooLargeError extends HomeserverRequestError {
  constructor(method: string, path: string, readonly maxBytes: number) {
    super(`${method} ${path}: the media is larger than ${maxBytes} bytes`, method, path);
    this.name = 'MediaTooLargeError';
  }
}

export function isMatrixError(err: unknown): err is MatrixError {
  return err instanceof MatrixError;
}

export function isRequestTimeout(err: unknown): err is RequestTimeoutError {
  return err instanceof RequestTimeoutError;
}

/** True when the request may have taken effect although we got no answer. */
export function isOutcomeUnknown(err: unknown): boolean {
  return err instanceof RequestTimeoutError || (err instanceof NetworkError && err.delivered === 'unknown');
}
