import Koa from 'koa';
import { Router } from '@koa/router';
import type { Logger } from '../log/logger.js';
import type { Namespaces, Registration } from '../registration/index.js';
import { hsTokenCheck, requireHsToken } from './auth.js';
import { unrecognized } from './errors.js';
import { FailureLog, toMatrixError } from './failure.js';
import type { QueryHandlers } from './handlers.js';
import { aliasQueryRoute, userQueryRoute } from './routes/queries.js';
import { lookupRoute, protocolRoute } from './routes/thirdparty.js';
import { pingRoute } from './routes/ping.js';
import { transactionRoute, type TransactionSink } from './routes/transactions.js';
import { answerError } from './reply.js';

export interface AppserviceOptions {
  readonly registration: Registration;
  readonly namespaces: Namespaces;
  readonly sink: TransactionSink;
  readonly handlers?: QueryHandlers;
  readonly maxBodyBytes?: number;
  readonly logger: Logger;
  /**
   * Middleware in front of every route, transactions included (an IP allowlist, request
   * logging, tracing), inside the error boundary: what it throws is answered as a spec
   * error. A failed transaction is answered by its route, so `ctx.status` after `next()`
   * is the final one.
   */
  readonly middleware?: readonly Koa.Middleware[];
  /** More routes on the same listener (plugin HTTP routes); they do their own auth. */
  readonly extraRoutes?: Koa.Middleware[];
}

const V1 = '/_matrix/app/v1';

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
  const failures = new FailureLog(logger);
  const transactions = transactionRoute({ sink, maxBodyBytes: limit, checkToken: hsTokenCheck(registration.hs_token), logger, failures });

  const router = new Router();
  // Transactions are matched before the router (one regular expression, see
  // transactionRoute); the router keeps the route so that other methods get 405.
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

  const app = new Koa();
  app.use(errorBoundary(failures));
  for (const middleware of options.middleware ?? []) app.use(middleware);
  app.use(transactions);
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
function errorBoundary(failures: FailureLog): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // Nothing matched the path (Koa's default 404 with no body); a route that answered on its own is not that.
      if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false) throw unrecognized(404, 'Unrecognized request');
    } catch (err) {
      const error = toMatrixError(err);
      failures.failed(err, error, { method: ctx.method, url: ctx.url, matchedRoute: ctx['_matchedRoute'] });
      answerError(ctx, error);
    }
  };
}
