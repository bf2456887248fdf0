import { Agent, request } from 'undici';

/**
 * One JSON exchange with the homeserver through undici's `request()` rather than the global
 * `fetch`: the same HTTP engine without the WHATWG Request/Response/Headers/stream layers,
 * which cost about three times the main thread's CPU per request (bench/homeserver-client.ts).
 * Every room a bridge meets for the first time and every reply it sends is one of these.
 */

/** What the client needs of an answer: the status, the Retry-After header and the body as text. */
export interface JsonExchange {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly text: string;
}

export interface ExchangeInit {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array | undefined;
  /** Covers the whole exchange, body included: aborting it rejects the pending read too. */
  readonly signal: AbortSignal;
}

/**
 * Keep-alive connections shared by every client of the process (one pool per origin). The
 * attempt's own AbortSignal is the timeout that counts, so undici's header and body timers
 * (5 minutes by default) never decide first and are turned off.
 */
let shared: Agent | undefined;
function dispatcher(): Agent {
  shared ??= new Agent({ keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
  return shared;
}

export async function exchangeJson(url: string, init: ExchangeInit): Promise<JsonExchange> {
  const response = await request(url, {
    method: init.method,
    headers: init.headers,
    body: init.body ?? null,
    signal: init.signal,
    dispatcher: dispatcher(),
  });
  const text = await response.body.text();
  return { status: response.statusCode, retryAfter: headerValue(response.headers['retry-after']), text };
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
