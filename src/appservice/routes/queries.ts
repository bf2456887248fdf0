import type { Middleware } from 'koa';
import type { Logger } from '../../log/logger.js';
import type { Namespaces } from '../../registration/index.js';
import type { QueryHandlers } from '../handlers.js';
import { MatrixHttpError, notFound } from '../errors.js';

/** A user ID or alias: sigil, localpart, `:`, server name. */
const IDENTIFIER = /^[@#][^:]+:.+$/;

function invalidParam(what: string): MatrixHttpError {
  return new MatrixHttpError(400, 'M_INVALID_PARAM', what);
}

/**
 * `GET /users/{userId}`: 200 `{}` only once the bridge has created the user; 404 when it
 * declines or the user is not in our namespace. Never 200 on a decline.
 */
export function userQueryRoute(handlers: QueryHandlers, namespaces: Namespaces, logger: Logger): Middleware {
  return async (ctx) => {
    const userId = String(ctx['params'].userId);
    if (!userId.startsWith('@') || !IDENTIFIER.test(userId)) throw invalidParam(`'${userId}' is not a user ID`);
    if (!namespaces.isVirtualUser(userId)) throw notFound(`${userId} is not in this bridge's user namespace`);
    const created = handlers.queryUser ? await handlers.queryUser(userId) : false;
    logger.info({ userId, created }, 'user query');
    if (!created) throw notFound(`The bridge does not know ${userId}`);
    ctx.body = {};
  };
}

/** `GET /rooms/{roomAlias}`: 200 `{}` only once the room exists with that alias. */
export function aliasQueryRoute(handlers: QueryHandlers, namespaces: Namespaces, logger: Logger): Middleware {
  return async (ctx) => {
    const alias = String(ctx['params'].roomAlias);
    if (!alias.startsWith('#') || !IDENTIFIER.test(alias)) throw invalidParam(`'${alias}' is not a room alias`);
    if (!namespaces.isOwnAlias(alias)) throw notFound(`${alias} is not in this bridge's alias namespace`);
    const created = handlers.queryAlias ? await handlers.queryAlias(alias) : false;
    logger.info({ alias, created }, 'alias query');
    if (!created) throw notFound(`The bridge has no room for ${alias}`);
    ctx.body = {};
  };
}
