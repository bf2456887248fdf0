import type { Middleware, Context } from 'koa';
import type { QueryHandlers } from '../handlers.js';
import { missingParam, notFound } from '../errors.js';

/** Query parameters as plain strings (first value wins), minus the legacy token. */
function fields(ctx: Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(ctx.query)) {
    if (key === 'access_token' || value === undefined) continue;
    out[key] = Array.isArray(value) ? value[0] ?? '' : value;
  }
  return out;
}

export function protocolRoute(handlers: QueryHandlers): Middleware {
  return async (ctx) => {
    const protocol = String(ctx['params'].protocol);
    const found = handlers.thirdPartyProtocol ? await handlers.thirdPartyProtocol(protocol) : undefined;
    if (!found) throw notFound(`No protocol '${protocol}'`);
    ctx.body = found;
  };
}

/**
 * `GET /thirdparty/user[/{protocol}]` and `/thirdparty/location[/{protocol}]`. Without a
 * protocol, the spec requires the reverse-lookup parameter (`userid` / `alias`).
 */
export function lookupRoute(kind: 'user' | 'location', handlers: QueryHandlers): Middleware {
  const required = kind === 'user' ? 'userid' : 'alias';
  return async (ctx) => {
    const protocol = ctx['params'].protocol as string | undefined;
    const query = fields(ctx);
    if (protocol === undefined && query[required] === undefined) throw missingParam(required);
    const results = kind === 'user'
      ? (handlers.thirdPartyUsers ? await handlers.thirdPartyUsers(protocol, query) : [])
      : (handlers.thirdPartyLocations ? await handlers.thirdPartyLocations(protocol, query) : []);
    if (results.length === 0) throw notFound(`No ${kind === 'user' ? 'users' : 'locations'} found`);
    ctx.body = results;
  };
}
