import Koa from 'koa';
import { Router } from '@koa/router';
import type { Logger } from '../log/logger.js';
import type { Namespaces, Registration } from '../registration/index.js';
import { hsTokenCheck, requireHsToken } from './auth.js';
import { unrecognized } from './errors.js';
import { withTransactionFastPath } from './fast-path.js';
import { logFailure, toMatrixError } from './failure.js';
import type { QueryHandlers } from './handlers.js';
import { aliasQueryRoute, userQueryRoute } from './routes/queries.js';
import { lookupRoute, protocolRoute } from './routes/thirdparty.js';
import { pingRoute } from './routes/ping.js';
import { transactionHandler, type TransactionHandler, type TransactionSink } from './routes/transactions.js';

export interface AppserviceOptions {
  readonly registration: Registration;
  readonly namespaces: Namespaces;
  readonly sink: TransactionSink;
  readonly handlers?: QueryHandlers;
  readonly maxBodyBytes?: number;
  readonly logger: Logger;
  /** More routes on the same listener (plugin HTTP routes); they do their own auth. */
  readonly extraRoutes?: Koa.Middleware[];
}

const V1 = '/_matrix/app/v1';

/** Koa with the transaction fast path in front: whatever serves the app (`listen`, tests) gets both. */
class AppserviceApp extends Koa {
  constructor(private readonly transactions: TransactionHandler) {
    super();
  }

  override callback(): ReturnType<Koa['callback']> {
    return withTransactionFastPath(this.transactions, super.callback());
  }
}

/**
 * The homeserver-facing Koa app: every route of the application service API (and the
 * legacy unprefixed ones older Synapse uses), hs_token auth on each, and only
 * `{errcode, error}` bodies on failure.
 */
export function createAppserviceApp(options: AppserviceOptions): Koa {
  const { registration, namespaces, sink, logger } = options;
  const handlers = options.handlers ?? {};
  const limit = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const auth = requireHsToken(registration.hs_token);
  const handleTransaction = transactionHandler(sink, limit, hsTokenCheck(registration.hs_token), logger);

  const router = new Router();
  // PUT transactions are answered in front of Koa (fast-path.ts). The router keeps the route,
  // with the same handler, so that other methods get 405 and spellings the fast path does
  // not match (case, trailing slash) are still served.
  const transactions: Koa.Middleware = (ctx) => {
    ctx.respond = false;
    return handleTransaction(ctx.req, ctx.res, String(ctx['params'].txnId));
  };
  const users = userQueryRoute(handlers, namespaces, logger);
  const aliases = aliasQueryRoute(handlers, namespaces, logger);
  router.put(`${V1}/transactions/:txnId`, transactions);
  router.get(`${V1}/users/:userId`, auth, users);
  router.get(`${V1}/rooms/:roomAlias`, auth, aliases);
  router.get(`${V1}/thirdparty/protocol/:protocol`, auth, protocolRoute(handlers));
  router.get(`${V1}/thirdparty/user/:protocol`, auth, lookupRoute('user', handlers));
  router.get(`${V1}/thirdparty/user`, auth, lookupRoute('user', handlers));
  router.get(`${V1}/thirdparty/location/:protocol`, auth, lookupRoute('location', handlers));
  router.get(`${V1}/thirdparty/location`, auth, lookupRoute('location', handlers));
  router.post(`${V1}/ping`, auth, pingRoute(handlers, limit));
  // The legacy dialect (Synapse ≤ 1.6x): no prefix, token in the query string.
  router.put('/transactions/:txnId', transactions);
  router.get('/users/:userId', auth, users);
  router.get('/rooms/:roomAlias', auth, aliases);

  const app = new AppserviceApp(handleTransaction);
  app.use(errorBoundary(logger));
  app.use(router.routes());
  for (const middleware of options.extraRoutes ?? []) app.use(middleware);
  app.use(router.allowedMethods({
    throw: true,
    methodNotAllowed: () => unrecognized(405, 'Method not allowed on this path'),
    notImplemented: () => unrecognized(405, 'Method not implemented'),
  }));
  // Errors are answered by errorBoundary; what reaches here is a broken socket.
  app.on('error', (err: unknown) => logger.debug({ err }, 'connection error'));
  return app;
}

/** Turns every failure into a spec error body; unexpected ones are logged, never leaked. */
function errorBoundary(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // Nothing matched the path (Koa's default 404 with no body); a route that answered on its own is not that.
      if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false) throw unrecognized(404, 'Unrecognized request');
    } catch (err) {
      const error = toMatrixError(err);
      logFailure(logger, err, error, ctx.method, ctx.url);
      ctx.status = error.status;
      ctx.body = error.body;
      for (const [name, value] of Object.entries(error.extra.headers ?? {})) ctx.set(name, value);
    }
  };
}
