import cors from '@koa/cors';
import { Router } from '@koa/router';
import type Koa from 'koa';
import { readJsonBody } from '../appservice/body.js';
import { MatrixHttpError, badJson, unrecognized } from '../appservice/errors.js';
import { toMatrixError } from '../appservice/failure.js';
import { answerError } from '../appservice/reply.js';
import { LoginError } from '../logins/errors.js';
import type { Logger } from '../log/logger.js';
import { ProvisioningRefusal } from '../plugin/provisioning.js';
import { flat } from '../plugin/http-router.js';
import type { ProvisioningAuth } from './auth.js';
import type { ProvisionRoute } from './route-table.js';

export const PROVISION_PREFIX = '/_matrix/provision/v1';
const BODY_LIMIT = 64 * 1024;

export interface ProvisioningApiOptions {
  readonly auth: ProvisioningAuth;
  readonly routes: readonly ProvisionRoute[];
  /** Served at `/openapi.json`, without auth. */
  readonly openApi: object;
  /** Browser origins allowed to call (CORS); `*` for any. */
  readonly allowedOrigins: readonly string[];
  readonly logger: Logger;
}

/**
 * The provisioning API as Koa middleware on the bridge's listener: CORS for the allowed
 * origins, auth on every route but the OpenAPI document, bodies parsed and validated at the
 * edge, and only `{errcode, error}` on failure. Unexpected failures are logged (by route
 * template, never with the caller's token) and answered as a bare 500.
 */
export function provisioningMiddleware(options: ProvisioningApiOptions): Koa.Middleware {
  const router = new Router({ prefix: PROVISION_PREFIX });
  router.get('/openapi.json', (ctx) => {
    ctx.body = options.openApi;
  });
  for (const spec of options.routes) {
    const register = { GET: router.get, POST: router.post, DELETE: router.delete }[spec.method];
    register.call(router, spec.path, async (ctx) => {
      const caller = await options.auth.caller(ctx);
      const body = spec.body === undefined ? undefined : validated(spec, await readBody(ctx));
      const answer = await spec.handle({
        caller,
        params: (ctx['params'] ?? {}) as Record<string, string>,
        query: flat(ctx.query),
        body,
      });
      ctx.status = answer.status ?? 200;
      ctx.body = answer.body;
    });
  }
  const allowed = new Set(options.allowedOrigins);
  const chain: Koa.Middleware[] = [
    cors({
      origin: (ctx) => allowed.has('*') ? '*' : allowed.has(ctx.get('origin')) ? ctx.get('origin') : '',
      allowMethods: ['GET', 'POST', 'DELETE'],
      allowHeaders: ['Authorization', 'Content-Type'],
      maxAge: 600,
    }),
    boundary(options.logger),
    router.routes() as Koa.Middleware,
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () => unrecognized(405, 'Method not allowed on this path'),
      notImplemented: () => unrecognized(405, 'Method not implemented'),
    }) as Koa.Middleware,
    () => {
      throw unrecognized(404, 'Unrecognized request');
    },
  ];
  const run = (i: number, ctx: Koa.Context): Promise<void> => Promise.resolve(chain[i]?.(ctx, () => run(i + 1, ctx)));
  return async (ctx, next) => {
    if (ctx.path !== PROVISION_PREFIX && !ctx.path.startsWith(`${PROVISION_PREFIX}/`)) return next();
    await run(0, ctx as Koa.Context);
  };
}

/** Answers failures here, so CORS headers stay on them and nothing reaches the app's own log line. */
function boundary(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const error = asHttpError(err);
      if (error.status >= 500 && !(err instanceof MatrixHttpError)) {
        logger.error({ err, method: ctx.method, route: ctx['_matchedRoute'] }, 'provisioning: request failed');
      }
      answerError(ctx, error);
    }
  };
}

/** Refusals from the login service and from plugin hooks carry their own errcode and status. */
function asHttpError(err: unknown): MatrixHttpError {
  if (err instanceof MatrixHttpError) return err;
  if (err instanceof LoginError || err instanceof ProvisioningRefusal) return new MatrixHttpError(err.status, err.errcode, err.message);
  return toMatrixError(err);
}

async function readBody(ctx: Koa.Context): Promise<unknown> {
  const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
  return hasBody ? (await readJsonBody(ctx, BODY_LIMIT)).value : {};
}

function validated(spec: ProvisionRoute, raw: unknown): unknown {
  const parsed = spec.body!.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw badJson(`${where}${issue?.message ?? 'invalid body'}`);
}
