import Router from '@koa/router';
import type { HomeserverCore } from '../core.js';
import { badJson, forbidden, MatrixError, notJson } from '../errors.js';
import { authenticate } from '../requester.js';
import { readRawBody } from '../request-body.js';
import { CLIENT_V3, param } from './common.js';

/**
 * OpenID tokens as Synapse 1.94 serves them: the client asks for one
 * (`IdTokenServlet`) and hands it to a third party (a bridge's provisioning API), which
 * exchanges it for the user id at the federation endpoint (`OpenIdUserInfo`), without auth.
 */
export function openIdRoutes(core: HomeserverCore): Router {
  const router = new Router();

  router.post(`${CLIENT_V3}/user/:userId/openid/request_token`, async (ctx) => {
    const requester = authenticate(core, ctx);
    const userId = param(ctx, 'userId');
    if (userId !== requester.userId) throw forbidden('Cannot request tokens for other users.');
    // Synapse parses the body (an object, or 400) and ignores what is in it; unlike most
    // endpoints an empty body is refused too (parse_json_object_from_request).
    const text = (await readRawBody(ctx)).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw notJson('Content not JSON.');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badJson('Content must be a JSON object.');
    const { token, expiresInSeconds } = core.openId.issue(userId);
    ctx.body = { access_token: token, token_type: 'Bearer', matrix_server_name: core.serverName, expires_in: expiresInSeconds };
  });

  // Only the query parameter counts here (parse_string_from_args), not an Authorization header.
  router.get('/_matrix/federation/v1/openid/userinfo', (ctx) => {
    const token = ctx.query['access_token'];
    const value = Array.isArray(token) ? token[0] : token;
    if (value === undefined) throw new MatrixError(401, 'M_MISSING_TOKEN', 'Access Token required');
    const userId = core.openId.userFor(value);
    if (userId === undefined) throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Access Token unknown or expired');
    ctx.body = { sub: userId };
  });

  return router;
}
