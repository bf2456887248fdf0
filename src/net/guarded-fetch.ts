import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { guardedLookup, refusedLiteral, PrivateTargetError } from './guarded-lookup.js';
import { OutboundFetchError } from './errors.js';

export interface GuardedFetchOptions {
  /** Largest body accepted; the download stops as soon as more arrives. */
  readonly maxBytes: number;
  /** For the whole fetch: every redirect and the body included. */
  readonly timeoutMs: number;
  /** Operators' opt-in to reach private and local addresses (default: refused). */
  readonly allowPrivateTargets?: boolean;
  /**
   * Hosts the operator trusts although they are private (`avatars.internal`, or with a port,
   * `10.0.0.5:8080`): only a hop to one of them skips the guard; a redirect elsewhere does not.
   */
  readonly trustedHosts?: readonly string[];
  /** Redirects followed, each one judged again like the first URL (default 3; 0 refuses them). */
  readonly maxRedirects?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** The resolver under the guard (default: the system's). Tests map names to loopback with it. */
  readonly resolve?: LookupFunction;
}

export interface GuardedResponse {
  readonly status: number;
  /** The URL the body came from, after redirects. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly data: Buffer;
}

export const DEFAULT_MAX_REDIRECTS = 3;

/**
 * GET of a URL someone outside the operator chose (a remote avatar, a link in a message):
 * the one way bridgekit fetches such URLs. Private and local addresses are refused on the
 * connection itself (DNS rebinding cannot slip past a check made earlier), redirects are
 * followed by hand with each hop judged again, the body is capped as it streams (a huge or
 * endless answer is cut off at the cap, never buffered), and the whole fetch has a deadline.
 * Fails with OutboundFetchError; only 2xx answers are returned.
 */
export async function fetchGuarded(url: string, options: GuardedFetchOptions): Promise<GuardedResponse> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const guarded = guardedLookup(options.resolve);
  const trusts = (target: URL) => options.allowPrivateTargets === true
    || (options.trustedHosts ?? []).some((host) => host.toLowerCase() === target.host || host.toLowerCase() === target.hostname);
  let current = url;
  try {
    for (let hop = 0; ; hop++) {
      const target = checkedUrl(current);
      const trusted = trusts(target);
      if (!trusted) {
        const refused = refusedLiteral(target.hostname);
        if (refused) throw new OutboundFetchError('private', refused.message);
      }
      const response = await open(target, trusted ? options.resolve : guarded, options.headers, signal);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location !== undefined) {
        response.destroy();
        if (hop >= maxRedirects) throw new OutboundFetchError('redirect', `too many redirects (more than ${maxRedirects})`);
        current = URL.canParse(location, target.href) ? new URL(location, target).href : '';
        if (current === '') throw new OutboundFetchError('redirect', 'the redirect points to something that is not a URL');
        continue;
      }
      if (status < 200 || status >= 300) {
        response.destroy();
        throw new OutboundFetchError('status', `the server answered HTTP ${status}`, status);
      }
      const data = await readCapped(response, options.maxBytes);
      return { status, url: target.href, headers: response.headers, data };
    }
  } catch (err) {
    throw asFetchError(err, deadline, options.timeoutMs);
  }
}

/** `raw` as a URL: http(s) only, no credentials. */
function checkedUrl(raw: string): URL {
  let target: URL;
  try {
    target = new URL(raw);
  } catch {
    throw new OutboundFetchError('url', 'not a URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new OutboundFetchError('url', `unsupported scheme ${target.protocol} (http and https only)`);
  if (target.username || target.password) throw new OutboundFetchError('url', 'URLs with credentials are not fetched');
  return target;
}

function open(target: URL, lookup: LookupFunction | undefined, headers: GuardedFetchOptions['headers'], signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, {
      method: 'GET',
      headers: { 'user-agent': 'bridgekit', accept: '*/*', ...headers },
      signal,
      ...(lookup ? { lookup } : {}),
    }, resolve);
    request.on('error', reject);
    request.end();
  });
}

/** The body, failing (and closing the connection) the moment it passes `maxBytes`. */
async function readCapped(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new OutboundFetchError('too-large', `the answer is larger than ${maxBytes} bytes`);
  const declared = Number(response.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    response.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      response.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function asFetchError(err: unknown, deadline: AbortSignal, timeoutMs: number): OutboundFetchError {
  if (err instanceof OutboundFetchError) return err;
  if (err instanceof PrivateTargetError) return new OutboundFetchError('private', err.message);
  if (deadline.aborted) return new OutboundFetchError('timeout', `no complete answer within ${timeoutMs} ms`);
  const code = (err as { code?: unknown } | undefined)?.code;
  return new OutboundFetchError('network', `network error: ${typeof code === 'string' ? code : err instanceof Error ? err.message : String(err)}`);
}
