import type { Middleware } from 'koa';
import type { QueryHandlers } from '../handlers.js';
import { badJson } from '../errors.js';
import { readJsonBody, requireJsonObject } from '../body.js';

/** `POST /_matrix/app/v1/ping`: 200 `{}`; `transaction_id` may be absent, null or a string. */
export function pingRoute(handlers: QueryHandlers, maxBodyBytes: number): Middleware {
  return async (ctx) => {
    const body = requireJsonObject((await readJsonBody(ctx, maxBodyBytes)).value);
    const id = body['transaction_id'];
    if (id !== undefined && id !== null && typeof id !== 'string') {
      throw badJson('transaction_id: must be a string or null');
    }
    handlers.onPing?.(id ?? null);
    ctx.body = {};
  };
}
