import { asAppservice, by, CS, person, registerGhost, type Scenario } from './common.js';

const USERINFO = '/_matrix/federation/v1/openid/userinfo';

/** OpenID tokens: requesting one (IdTokenServlet) and exchanging it at the federation userinfo (OpenIdUserInfo). */
export const openid: Scenario = {
  name: 'openid',
  async run(s, o) {
    const alice = await person(s, o, 'alice');
    const bob = await person(s, o, 'bob');
    const path = (userId: string) => `${CS}/user/${encodeURIComponent(userId)}/openid/request_token`;
    const issued = o.response('request a token', await by(s, alice, 'POST', path(alice.userId), { body: {} }));
    const token = String((issued.body as Record<string, unknown>)['access_token']);
    const body = issued.body as Record<string, unknown>;
    o.exact('the token\'s fields', { token_type: body['token_type'], expires_in: body['expires_in'], letters: /^[A-Za-z]{24}$/.test(token) });
    o.response('request a token for another user', await by(s, alice, 'POST', path(bob.userId), { body: {} }));
    o.response('request a token with an empty body', await by(s, alice, 'POST', path(alice.userId), { rawBody: Buffer.alloc(0), contentType: 'application/json' }));
    o.response('request a token with a list as the body', await by(s, alice, 'POST', path(alice.userId), { body: [] }));
    o.response('request a token without an access token', await by(s, { token: '' }, 'POST', path(alice.userId), { body: {} }));
    const ghost = await registerGhost(s, o, 'ghost');
    const ghostToken = await by(s, asAppservice(s, ghost.userId), 'POST', path(ghost.userId), { body: {} });
    o.response('request a token as the appservice for a ghost', ghostToken);

    o.response('userinfo', await by(s, { token: '' }, 'GET', USERINFO, { query: { access_token: token } }));
    o.response('userinfo of the ghost\'s token', await by(s, { token: '' }, 'GET', USERINFO, { query: { access_token: String((ghostToken.body as Record<string, unknown>)['access_token']) } }));
    o.response('userinfo without a token', await by(s, { token: '' }, 'GET', USERINFO));
    o.response('userinfo with an unknown token', await by(s, { token: '' }, 'GET', USERINFO, { query: { access_token: 'NoSuchTokenAnywhere' } }));
    o.response('userinfo with an access token instead', await by(s, { token: '' }, 'GET', USERINFO, { query: { access_token: alice.accessToken } }));
    o.response('userinfo with the token in the Authorization header only', await by(s, { token }, 'GET', USERINFO));
  },
};
