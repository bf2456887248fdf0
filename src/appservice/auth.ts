import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import { forbidden, unauthorized } from './errors.js';

/** One call, no Hash object: this runs for every request the homeserver makes. */
function sha256(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/** Compares in constant time; hashing first makes unequal lengths take the same time too. */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? match[1] : '';
}

/** The first `access_token` of the URL's query string, parsed as Koa parses `ctx.query`. */
function queryToken(url: string): string | undefined {
  const start = url.indexOf('?');
  if (start < 0) return undefined;
  const hash = url.indexOf('#', start);
  return new URLSearchParams(url.slice(start + 1, hash < 0 ? undefined : hash)).get('access_token') ?? undefined;
}

/**
 * Checks the homeserver's `hs_token` on a request: `Authorization: Bearer` (spec) or the
 * legacy `access_token` query parameter (Synapse before 1.7x). Missing → 401, wrong → 403,
 * both given and different → 403. The expected token's digest is computed once.
 */
export function hsTokenCheck(hsToken: string): (req: IncomingMessage) => void {
  const expected = sha256(hsToken);
  return (req) => {
    const fromHeader = bearerToken(req.headers.authorization || undefined);
    const fromQuery = queryToken(req.url ?? '');
    if (fromHeader === undefined && fromQuery === undefined) throw unauthorized();
    if (fromHeader !== undefined && fromQuery !== undefined && !tokensEqual(fromHeader, fromQuery)) {
      throw forbidden('The Authorization header and the access_token parameter disagree');
    }
    if (!timingSafeEqual(sha256(fromHeader ?? fromQuery ?? ''), expected)) throw forbidden();
  };
}

/** `hsTokenCheck` as Koa middleware, for the routes Koa serves. */
export function requireHsToken(hsToken: string): Middleware {
  const check = hsTokenCheck(hsToken);
  return async (ctx, next) => {
    check(ctx.req);
    await next();
  };
}
