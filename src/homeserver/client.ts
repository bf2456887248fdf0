import type { Logger } from '../log/logger.js';
import { stringifyJson } from '../json/index.js';
import { silentLogger } from '../log/logger.js';
import { ShapeError, isObject } from '../events/validate.js';
import type { JsonObject } from '../events/types.js';
import {
  HomeserverRequestError, MatrixError, NetworkError, RequestTimeoutError, ResponseFormatError,
} from './errors.js';
import { networkErrorCode, wasNotSent } from './network.js';
import { parseSuccessBody, toMatrixError } from './response.js';
import { DEFAULT_RETRY_POLICY, backoffDelayMs, type RetryPolicy } from './retry-policy.js';
import type { Route } from './route.js';
import { exchangeJson, type JsonExchange } from './transport.js';

export type QueryValue = string | number | boolean | readonly string[] | undefined;
export type Query = Readonly<Record<string, QueryValue>>;

export interface RequestOptions<T> {
  readonly query?: Query;
  /** JSON body. POST and PUT without one send `{}`, as the spec requires a JSON object. */
  readonly body?: unknown;
  /** A non-JSON body (media upload). */
  readonly rawBody?: { readonly data: Uint8Array; readonly contentType: string };
  /** Acts as this user (`?user_id=`); the homeserver checks it is ours. */
  readonly asUser?: string;
  /**
   * Whether repeating the request after a 5xx, a timeout or a broken connection is safe.
   * Defaults by method: GET, PUT and DELETE yes, POST no. 429s and connections that never
   * opened are retried regardless: the homeserver did nothing.
   */
  readonly idempotent?: boolean;
  readonly timeoutMs?: number;
  /** Aborts the request and any wait between attempts (shutdown). */
  readonly signal?: AbortSignal;
  /** Validates the JSON body; the default requires an object. A ShapeError becomes a ResponseFormatError. */
  readonly parse?: (body: unknown) => T;
  /** Reads a successful response itself instead of as JSON (media downloads); errors are still JSON. */
  readonly readResponse?: (response: Response) => Promise<T>;
}

/** One attempt's result, for counting requests by endpoint and status. */
export interface ResponseInfo {
  readonly method: string;
  /** The route template, e.g. `/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`. */
  readonly endpoint: string;
  readonly status: number | 'timeout' | 'network';
  readonly errcode?: string;
  readonly attempt: number;
  readonly durationMs: number;
}

export interface HomeserverClientOptions {
  /** Client-server API base URL, e.g. `http://localhost:8008`. */
  readonly baseUrl: string;
  readonly asToken: string;
  /** The appservice bot (`sender_localpart` on the homeserver's domain). */
  readonly botUserId: string;
  /**
   * The token is one user's own access token (`botUserId` is that user), not an
   * appservice's: `asUser` is never sent as `?user_id=` (double puppeting).
   */
  readonly userToken?: boolean;
  readonly logger?: Logger;
  readonly retry?: Partial<RetryPolicy>;
  readonly onResponse?: (info: ResponseInfo) => void;
  /** Called before each wait between attempts (metrics count rate-limit waits). */
  readonly onRetryWait?: (info: RetryWaitInfo) => void;
}

/** A wait before the next attempt of a request. */
export interface RetryWaitInfo {
  readonly method: string;
  /** The route template, as in ResponseInfo. */
  readonly endpoint: string;
  readonly delayMs: number;
  /** The homeserver answered 429 M_LIMIT_EXCEEDED (otherwise: a 5xx, timeout or broken connection). */
  readonly rateLimited: boolean;
}

/** `alwaysSafe`: repeating is safe whatever the method, because the homeserver provably did nothing. */
type AttemptResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: Error; readonly alwaysSafe: boolean; readonly waitMs?: number };

/**
 * The low-level client: authenticates with the as_token (Authorization header only, never
 * the query string), masquerades with `user_id`, times every attempt out, and retries what
 * is safe to retry. Endpoint methods live in `api/` and call `request`.
 */
export class HomeserverClient {
  readonly botUserId: string;
  readonly policy: RetryPolicy;
  private readonly baseUrl: string;
  /** Tagged `component: homeserver`; endpoint groups log through it too. */
  readonly log: Logger;

  constructor(private readonly options: HomeserverClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.botUserId = options.botUserId;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.log = (options.logger ?? silentLogger()).child({ component: 'homeserver' });
  }

  async request<T = JsonObject>(method: string, target: Route | string, options: RequestOptions<T> = {}): Promise<T> {
    const endpoint = typeof target === 'string' ? { template: target, path: target } : target;
    const idempotent = options.idempotent ?? method !== 'POST';
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt(method, endpoint, options, attempt);
      if (result.ok) return result.value;
      const delay = result.waitMs ?? backoffDelayMs(attempt, this.policy);
      const retry = (result.alwaysSafe || (idempotent && isTransient(result.error)))
        && attempt < this.policy.maxAttempts
        && waited + delay <= this.policy.maxTotalWaitMs;
      if (!retry) throw result.error;
      this.log.warn(
        { method, path: endpoint.path, asUser: options.asUser, attempt, delayMs: delay, err: summarize(result.error) },
        'homeserver request failed, retrying',
      );
      this.notifyWait({ method, endpoint: endpoint.template, delayMs: delay, rateLimited: result.error instanceof MatrixError && result.error.isRateLimited });
      await sleep(delay, options.signal);
      waited += delay;
    }
  }

  private async attempt<T>(method: string, endpoint: Route, options: RequestOptions<T>, attempt: number): Promise<AttemptResult<T>> {
    const timeoutMs = options.timeoutMs ?? this.policy.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    const started = Date.now();
    const report = (status: ResponseInfo['status'], errcode?: string) => {
      const durationMs = Date.now() - started;
      this.log.debug({ method, path: endpoint.path, asUser: options.asUser, status, errcode, attempt, durationMs }, 'homeserver request');
      this.notify({ method, endpoint: endpoint.template, status, attempt, durationMs, ...(errcode ? { errcode } : {}) });
    };
    let answer: JsonExchange;
    try {
      const url = this.url(endpoint.path, options);
      const init = { method, headers: this.headers(method, options), body: bodyOf(method, options), signal };
      if (options.readResponse) {
        const response = await fetch(url, init);
        if (response.ok) {
          const value = await options.readResponse(response);
          report(response.status);
          return { ok: true, value };
        }
        answer = { status: response.status, retryAfter: response.headers.get('retry-after'), text: await response.text() };
      } else {
        answer = await exchangeJson(url, init);
      }
    } catch (err) {
      // The reader's own refusal (e.g. too large) is not a network problem.
      if (err instanceof HomeserverRequestError) throw err;
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout.aborted) {
        report('timeout');
        return { ok: false, error: new RequestTimeoutError(method, endpoint.path, timeoutMs), alwaysSafe: false };
      }
      const code = networkErrorCode(err);
      report('network');
      const notSent = wasNotSent(code);
      return { ok: false, error: new NetworkError(method, endpoint.path, code, notSent ? false : 'unknown', err), alwaysSafe: notSent };
    }
    const { status, retryAfter, text } = answer;
    if (status >= 200 && status < 300) {
      report(status);
      return { ok: true, value: this.parse(method, endpoint.path, status, text, options.parse) };
    }
    const error = toMatrixError(method, endpoint.path, status, retryAfter, text, Date.now());
    report(status, error.errcode);
    // A 429 means the homeserver did nothing: always safe to repeat, after the wait it asked for.
    if (error.isRateLimited) return { ok: false, error, alwaysSafe: true, ...waitOf(error) };
    return { ok: false, error, alwaysSafe: false, ...waitOf(error) };
  }

  private parse<T>(method: string, path: string, status: number, text: string, parse?: (body: unknown) => T): T {
    const body = parseSuccessBody(method, path, status, text);
    try {
      if (parse) return parse(body);
      if (!isObject(body)) throw new ResponseFormatError(method, path, status, 'expected a JSON object');
      return body as T;
    } catch (err) {
      if (err instanceof HomeserverRequestError) throw err;
      if (err instanceof ShapeError) throw new ResponseFormatError(method, path, status, err.message, err);
      throw err;
    }
  }

  private url(path: string, options: RequestOptions<unknown>): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
      else params.append(key, String(value));
    }
    if (options.asUser !== undefined && this.options.userToken !== true) params.set('user_id', options.asUser);
    const query = params.toString();
    return `${this.baseUrl}${path}${query ? `?${query}` : ''}`;
  }

  private headers(method: string, options: RequestOptions<unknown>): Record<string, string> {
    // The as_token travels here and nowhere else: not in the URL, not in a log line.
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.asToken}`, accept: 'application/json' };
    if (options.rawBody) headers['content-type'] = options.rawBody.contentType;
    else if (method === 'POST' || method === 'PUT' || options.body !== undefined) headers['content-type'] = 'application/json';
    return headers;
  }

  private notifyWait(info: RetryWaitInfo): void {
    try {
      this.options.onRetryWait?.(info);
    } catch (err) {
      this.log.warn({ err }, 'onRetryWait hook threw');
    }
  }

  private notify(info: ResponseInfo): void {
    if (!this.options.onResponse) return;
    try {
      this.options.onResponse(info);
    } catch (err) {
      this.log.warn({ err }, 'onResponse hook threw');
    }
  }
}

function bodyOf(method: string, options: RequestOptions<unknown>): string | Uint8Array | undefined {
  if (options.rawBody) return options.rawBody.data;
  if (options.body !== undefined) return stringifyJson(options.body);
  return method === 'POST' || method === 'PUT' ? '{}' : undefined;
}

/** Failures where repeating an idempotent request may help: 5xx, timeouts, broken connections. */
function isTransient(error: Error): boolean {
  if (error instanceof MatrixError) return error.isServerError;
  return error instanceof RequestTimeoutError || error instanceof NetworkError;
}

function waitOf(error: MatrixError): { waitMs?: number } {
  return error.retryAfterMs === undefined ? {} : { waitMs: error.retryAfterMs };
}

function summarize(error: Error): Record<string, unknown> {
  if (error instanceof MatrixError) return { type: error.name, status: error.status, errcode: error.errcode };
  if (error instanceof NetworkError) return { type: error.name, code: error.code };
  return { type: error.name };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
