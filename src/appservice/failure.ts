import type { Logger } from '../log/logger.js';
import { redactedQuery } from '../log/urls.js';
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

/** Paths of the application service API: their segments are ids, never secrets. */
const APPSERVICE_PATH = /^(?:\/_matrix\/app\/v1)?\/(?:transactions|users|rooms|thirdparty|ping)(?:\/|$)/i;

/**
 * A request's URL as it may be logged. Anything else on the listener (a plugin's route, a
 * media link) may carry a secret in its path (a webhook's URL is its secret) and any query
 * may (`access_token`, a media link's `sig`), so: the route template the router matched
 * when there is one (`/bridge/webhook/hooks/:secret`), else the appservice API's path as it
 * is, else only its first segment; query values never.
 */
export function loggablePath(url: string | undefined, matchedRoute?: unknown): string {
  const raw = url ?? '';
  const q = raw.search(/[?#]/);
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 || raw[q] === '#' ? '' : redactedQuery(raw.slice(q + 1));
  if (typeof matchedRoute === 'string') return matchedRoute + query;
  if (APPSERVICE_PATH.test(path)) return path + query;
  const segments = path.split('/');
  return (segments.length > 2 ? `/${segments[1]}/…` : path) + query;
}

export interface FailedRequest {
  readonly method: string | undefined;
  readonly url: string | undefined;
  /** The router's template of the route that matched, when one did. */
  readonly matchedRoute?: unknown;
}

/**
 * How the endpoint logs failures. Ours (5xx) at error with the cause, the client's at
 * debug; never a secret of the URL (`loggablePath`). A 503 for backpressure is the design
 * working, not an error: logged once at warn when refusals start and once when a
 * transaction is taken again, with how many were refused and for how long.
 */
export class FailureLog {
  private refused = 0;
  private refusingSince = 0;

  constructor(private readonly logger: Logger) {}

  failed(err: unknown, error: MatrixHttpError, request: FailedRequest): void {
    if (err instanceof InboxUnavailable) {
      this.backpressure(err);
      return;
    }
    if (error.status >= 500) {
      this.logger.error({ err, method: request.method, path: loggablePath(request.url, request.matchedRoute) }, 'request failed');
    } else if (this.logger.isLevelEnabled('debug')) {
      this.logger.debug({ status: error.status, errcode: error.errcode, method: request.method, path: loggablePath(request.url, request.matchedRoute) }, error.message);
    }
  }

  /** A transaction was taken: ends a period of backpressure, if one was under way. */
  accepted(): void {
    if (this.refused === 0) return;
    const seconds = Math.round((performance.now() - this.refusingSince) / 10) / 100;
    this.logger.warn({ refused: this.refused, seconds }, 'backpressure over: transactions are taken again');
    this.refused = 0;
  }

  private backpressure(err: InboxUnavailable): void {
    if (this.refused++ > 0) return;
    this.refusingSince = performance.now();
    this.logger.warn({ reason: err.message, retryAfterMs: err.retryAfterMs }, 'backpressure: asking the homeserver to retry transactions later (503)');
  }
}
