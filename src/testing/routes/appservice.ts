import Router from '@koa/router';
import { z } from 'zod';
import type { HomeserverCore } from '../core.js';
import { forbidden, MatrixError, missingToken, unknownToken } from '../errors.js';
import { accessTokenOf, isAppserviceToken } from '../requester.js';
import { readJson } from '../request-body.js';
import { param } from './common.js';

const pingBody = z.object({ transaction_id: z.string().optional() });

/**
 * `POST /_matrix/client/v1/appservice/{appserviceId}/ping`: the homeserver calls the
 * appservice's `/_matrix/app/v1/ping` and reports how long it took, or why it failed.
 */
export function appserviceRoutes(core: HomeserverCore): Router {
  const router = new Router();

  router.post('/_matrix/client/v1/appservice/:appserviceId/ping', async (ctx) => {
    const token = accessTokenOf(ctx);
    if (token === undefined) throw missingToken();
    const link = core.appservice;
    if (!isAppserviceToken(core, token) && !core.users.sessionForToken(token)) throw unknownToken();
    if (!link || !isAppserviceToken(core, token)) throw forbidden('This endpoint is only for application services');
    if (link.registration.id !== param(ctx, 'appserviceId')) throw forbidden('Appservice ID in the path does not match the access token');
    const body = await readJson(ctx, pingBody);
    if (!link.api.hasUrl) throw new MatrixError(400, 'M_URL_NOT_SET', 'The application service has no URL');
    const outcome = await link.api.ping(body.transaction_id ?? null, core.settings.queryTimeoutMs);
    if (outcome.kind === 'timeout') throw new MatrixError(504, 'M_CONNECTION_TIMEOUT', 'Connection to the application service timed out');
    if (outcome.kind === 'unreachable') throw new MatrixError(502, 'M_CONNECTION_FAILED', `Connection to the application service failed: ${outcome.message}`);
    if (outcome.status < 200 || outcome.status >= 300) {
      const text = typeof outcome.body === 'string' ? outcome.body : JSON.stringify(outcome.body ?? '');
      throw new MatrixError(502, 'M_BAD_STATUS', 'The application service returned a bad status', { status: outcome.status, body: text });
    }
    ctx.body = { duration_ms: outcome.durationMs };
  });

  return router;
}
