import Router from '@koa/router';
import { z } from 'zod';
import type { HomeserverCore } from '../core.js';
import { forbidden, invalidParam, MatrixError, unknownToken } from '../errors.js';
import { accessTokenOf, authenticate } from '../requester.js';
import { readJson } from '../request-body.js';
import { CLIENT_V3 } from './common.js';

const loginBody = z.object({
  type: z.string(),
  identifier: z.unknown().optional(),
  device_id: z.string().optional(),
  initial_device_display_name: z.string().optional(),
});

/**
 * `/login` with `m.login.application_service` (the only login this server offers: it has
 * no passwords), as Synapse 1.94 answers it (`LoginRestServlet._do_appservice_login`):
 * the request carries an appservice's `as_token`; the user (`identifier.user`, a user id or
 * a localpart) must be the appservice's bot or in one of its user namespaces, exclusive or
 * not; the answer is a new device and access token. `/logout` ends a session. (Checked
 * against Synapse 1.94: the same statuses and errcodes for a user outside the namespace,
 * a user token, no token, a bad identifier and an unknown user. Synapse also offers
 * `m.login.password`; this server has no passwords.)
 */
export function loginRoutes(core: HomeserverCore): Router {
  const router = new Router();

  router.get(`${CLIENT_V3}/login`, (ctx) => {
    ctx.body = { flows: [{ type: 'm.login.application_service' }] };
  });

  router.post(`${CLIENT_V3}/login`, async (ctx) => {
    const body = await readJson(ctx, loginBody);
    if (body.type !== 'm.login.application_service') throw new MatrixError(400, 'M_UNKNOWN', `Unknown login type ${body.type}`);
    const token = accessTokenOf(ctx);
    const requester = authenticate(core, ctx); // M_MISSING_TOKEN / M_UNKNOWN_TOKEN as Synapse
    const scope = core.appserviceForToken(token);
    if (!requester.viaAppservice || !scope) throw unknownToken('This login method is only valid for application services');
    const identifier = body.identifier;
    if (typeof identifier !== 'object' || identifier === null || Array.isArray(identifier)) throw invalidParam('Invalid identifier in login submission');
    const fields = identifier as Record<string, unknown>;
    if (fields['type'] !== 'm.id.user') throw invalidParam('Unknown login identifier type');
    const user = fields['user'];
    if (typeof user !== 'string') throw invalidParam('Invalid user in identifier');
    const userId = user.startsWith('@') ? user : core.users.userIdFor(user);
    if (!scope.controls(userId)) throw forbidden('Invalid access_token');
    // What Synapse 1.94 answers for a user it has never seen (its database lookup fails).
    if (!core.users.has(userId)) throw new MatrixError(404, 'M_UNKNOWN', 'No row found');
    const session = core.users.login(userId);
    ctx.body = { user_id: userId, access_token: session.accessToken, home_server: core.serverName, device_id: session.deviceId };
  });

  router.post(`${CLIENT_V3}/logout`, (ctx) => {
    const requester = authenticate(core, ctx);
    if (requester.viaAppservice) throw unknownToken('An appservice token has no session to end');
    core.users.logout(accessTokenOf(ctx) ?? '');
    ctx.body = {};
  });

  return router;
}
