import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { forbidden, unauthorized } from './errors.js';

/** Compares in constant time; hashing first makes unequal lengths take the same time too. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? match[1] : '';
}

/**
 * Checks the homeserver's `hs_token`: `Authorization: Bearer` (spec) or the legacy
 * `access_token` query parameter (Synapse before 1.7x). Missing → 401, wrong → 403,
 * both given and different → 403.
 */
export function requireHsToken(hsToken: string): Middleware {
  return async (ctx, next) => {
    const fromHeader = bearerToken(ctx.get('authorization') || undefined);
    const query = ctx.query['access_token'];
    const fromQuery = Array.isArray(query) ? query[0] : query;
    if (fromHeader === undefined && fromQuery === undefined) throw unauthorized();
    if (fromHeader !== undefined && fromQuery !== undefined && !tokensEqual(fromHeader, fromQuery)) {
      throw forbidden('The Authorization header and the access_token parameter disagree');
    }
    const token = fromHeader ?? fromQuery ?? '';
    if (!tokensEqual(token, hsToken)) throw forbidden();
    await next();
  };
}
