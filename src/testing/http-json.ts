import { request } from 'node:http';
import { request as requestTls } from 'node:https';

export interface HttpJsonResponse {
  readonly status: number;
  /** Parsed JSON, or the raw text when the body is not JSON, or undefined when empty. */
  readonly body: unknown;
  readonly durationMs: number;
  /** Response headers, lower-cased names; repeated headers joined with ", ". */
  readonly headers: Record<string, string>;
}

export class HttpTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'HttpTimeoutError';
  }
}

export interface HttpJsonRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  /** Bytes to send as they are (with `headers['content-type']`) instead of a JSON body. */
  readonly rawBody?: Buffer;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * One JSON request on a fresh connection (`agent: false`): nothing is kept alive, so a
 * listener can close (or the test homeserver restart) without leaving stale sockets.
 */
export function requestJson(options: HttpJsonRequest): Promise<HttpJsonResponse> {
  const started = Date.now();
  const url = new URL(options.url);
  const payload = options.rawBody ?? (options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body)));
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (payload) {
    if (options.rawBody === undefined) headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const send = url.protocol === 'https:' ? requestTls : request;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: options.method, headers, agent: false, signal: options.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        const responseHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({ status: res.statusCode ?? 0, body: parseMaybeJson(text), durationMs: Date.now() - started, headers: responseHeaders });
      });
    });
    const timer = setTimeout(() => req.destroy(new HttpTimeoutError(options.timeoutMs)), options.timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(payload);
  });
}

function parseMaybeJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
