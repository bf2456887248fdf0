import type { Logger } from '../log/logger.js';
import { redactUrl } from '../log/logger.js';
import { InboxUnavailable } from '../inbox/index.js';
import { MatrixHttpError, errcodeForStatus } from './errors.js';

/** Any failure as the spec error it is answered with; unexpected ones become a 500 that leaks nothing. */
export function toMatrixError(err: unknown): MatrixHttpError {
  if (err instanceof MatrixHttpError) return err;
  if (err instanceof InboxUnavailable) {
    return new MatrixHttpError(503, 'M_LIMIT_EXCEEDED', err.message, {
      body: { retry_after_ms: err.retryAfterMs },
      headers: { 'Retry-After': String(Math.ceil(err.retryAfterMs / 1000)) },
    });
  }
  const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
  if (status >= 400 && status < 500) {
    return new MatrixHttpError(status, errcodeForStatus(status), (err as Error).message || 'Bad request');
  }
  return new MatrixHttpError(500, 'M_UNKNOWN', 'Internal error: the bridge could not handle this request');
}

/** Logs a failed request: ours (5xx) at error with the cause, the client's at debug. Tokens in the URL are redacted. */
export function logFailure(logger: Logger, err: unknown, error: MatrixHttpError, method: string | undefined, url: string | undefined): void {
  const path = redactUrl(url ?? '');
  if (error.status >= 500) {
    logger.error({ err, method, path }, 'request failed');
  } else {
    logger.debug({ status: error.status, errcode: error.errcode, method, path }, error.message);
  }
}
