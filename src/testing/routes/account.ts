import Router from '@koa/router';
import { z } from 'zod';
import type { HomeserverCore } from '../core.js';
import { exclusive, forbidden, MatrixError, missingParam } from '../errors.js';
import { isValidLocalpart } from '../ids.js';
import { accessTokenOf, authenticate, isAppserviceToken } from '../requester.js';
import { readJson } from '../request-body.js';
import { CLIENT_V3 } from './common.js';

const registerBody = z.object({
  type: z.string().optional(),
  username: z.string().optional(),
  inhibit_login: z.boolean().optional(),
  auth: z.object({ type: z.string(), session: z.string().optional() }).optional(),
});

/** Spec versions this server claims: those whose endpoints bridges call here. */
const VERSIONS = ['r0.6.1', 'v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.8', 'v1.9', 'v1.10', 'v1.11', 'v1.12'];

/** `/versions`, `/register` and `/account/whoami`. */
export function accountRoutes(core: HomeserverCore): Router {
  const router = new Router();

  router.get('/_matrix/client/versions', (ctx) => {
    ctx.body = { versions: VERSIONS, unstable_features: { 'fi.mau.msc2659.stable': true } };
  });

  router.post(`${CLIENT_V3}/register`, async (ctx) => {
    const body = await readJson(ctx, registerBody);
    const viaAppservice = isAppserviceToken(core, accessTokenOf(ctx));
    if (viaAppservice && body.type !== 'm.login.application_service') {
      throw new MatrixError(400, 'M_UNKNOWN', 'An appservice token must be used with type m.login.application_service');
    }
    if (!viaAppservice) {
      if (body.type === 'm.login.application_service') throw forbidden('Appservice registration needs the appservice token');
      // User-interactive auth with the one stage this server offers.
      if (body.auth?.type !== 'm.login.dummy') {
        ctx.status = 401;
        ctx.body = { flows: [{ stages: ['m.login.dummy'] }], params: {}, session: 'test-homeserver' };
        return;
      }
    }
    const localpart = body.username;
    if (localpart === undefined) throw missingParam('username is required');
    if (!isValidLocalpart(localpart)) throw new MatrixError(400, 'M_INVALID_USERNAME', 'User ID can only contain characters a-z, 0-9, or \'=_-./+\'');
    const userId = core.users.userIdFor(localpart);
    const scope = viaAppservice ? core.appserviceForToken(accessTokenOf(ctx)) : core.appservice?.scope;
    if (viaAppservice && scope && !scope.controls(userId)) throw exclusive('Invalid user localpart for this application service.');
    if (!viaAppservice && scope?.ownsUserExclusively(userId)) throw exclusive('This user ID is reserved by an application service.');
    core.users.register(localpart, viaAppservice);
    if (body.inhibit_login) {
      ctx.body = { user_id: userId, home_server: core.serverName };
      return;
    }
    const session = core.users.login(userId);
    ctx.body = { user_id: userId, home_server: core.serverName, access_token: session.accessToken, device_id: session.deviceId };
  });

  router.get(`${CLIENT_V3}/account/whoami`, (ctx) => {
    const requester = authenticate(core, ctx);
    const body: Record<string, unknown> = { user_id: requester.userId, is_guest: false };
    if (requester.deviceId !== undefined) body['device_id'] = requester.deviceId;
    ctx.body = body;
  });

  return router;
}
