/**
 * The OpenAPI 3.1 description of the provisioning API, served at
 * `/_matrix/provision/v1/openapi.json`. test/provisioning/openapi.test.ts keeps it and the
 * routes in step (every route described, nothing described that is not a route).
 */
import { LOGIN_STATES } from '../logins/contract.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });

const ERRORS = {
  400: 'Bad input (`M_NOT_JSON`, `M_BAD_JSON`, `M_INVALID_PARAM`, `M_MISSING_PARAM`)',
  401: '`M_MISSING_TOKEN`, or `M_UNKNOWN_TOKEN` (wrong, expired, or another user\'s)',
  403: '`M_FORBIDDEN`: the permissions config does not let the user use the bridge, or not enough power',
  404: '`M_NOT_FOUND`',
  501: '`M_UNRECOGNIZED` / `M_UNSUPPORTED`: the bridge does not offer this',
  502: '`M_UNKNOWN`: the homeserver that issued the token could not be asked',
};

function operation(summary: string, ok: object, extra: { body?: object; params?: object[]; errors?: Array<keyof typeof ERRORS> } = {}): object {
  const errors = extra.errors ?? [400, 401, 403];
  return {
    summary,
    ...(extra.params ? { parameters: extra.params } : {}),
    ...(extra.body ? { requestBody: { required: true, content: json(extra.body) } } : {}),
    responses: {
      200: { description: 'OK', content: json(ok) },
      ...Object.fromEntries(errors.map((status) => [status, { description: ERRORS[status], content: json(ref('Error')) }])),
    },
  };
}

const empty = { type: 'object', additionalProperties: false };
const processId = pathParam('processId', 'The `process_id` of a login process under way');

export const PROVISIONING_OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'bridgekit provisioning API',
    version: '1',
    description: 'Logins, direct chats and room bridging for a bridgekit bridge. Authenticate with '
      + '`Authorization: Bearer openid:<token>` (a Matrix OpenID token from `POST /_matrix/client/v3/user/{userId}/openid/request_token`; '
      + '`user_id` optional) or with `Authorization: Bearer <shared secret>` and `user_id` (trusted integrations). '
      + 'Every error is `{errcode, error}`.',
  },
  servers: [{ url: '/_matrix/provision/v1' }],
  security: [{ openid: [] }, { sharedSecret: [] }],
  paths: {
    '/openapi.json': { get: { summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } } },
    '/login/flows': { get: operation('The ways to log in', { type: 'object', required: ['flows'], properties: { flows: { type: 'array', items: ref('LoginFlow') } } }, { errors: [401, 403, 501] }) },
    '/login/start/{flowId}': {
      post: operation('Start a login', ref('LoginProcess'), { body: empty, params: [pathParam('flowId', 'A flow `id` from /login/flows')], errors: [400, 401, 403, 404, 501] }),
    },
    '/login/step/{processId}': {
      post: operation('Answer an `input` step', ref('LoginProcess'), {
        params: [processId], errors: [400, 401, 403, 404, 501],
        body: { type: 'object', required: ['input'], additionalProperties: false, properties: { input: { type: 'object', additionalProperties: { type: 'string' }, description: 'field id → value' } } },
      }),
    },
    '/login/wait/{processId}': { post: operation('Wait for a `display` step to move on', ref('LoginProcess'), { body: empty, params: [processId], errors: [400, 401, 403, 404, 501] }) },
    '/login/cancel/{processId}': { post: operation('Give up a login process', empty, { body: empty, params: [processId], errors: [400, 401, 403, 501] }) },
    '/logins': { get: operation('The caller\'s logins', { type: 'object', required: ['logins'], properties: { logins: { type: 'array', items: ref('Login') } } }, { errors: [401, 403, 501] }) },
    '/logins/{loginId}': { delete: operation('Log out and delete a login', empty, { params: [pathParam('loginId', 'A login `id`')], errors: [401, 403, 404, 501] }) },
    '/resolve/{identifier}': {
      get: operation('Who is this on the remote network?', {
        allOf: [ref('RemoteUser'), { type: 'object', properties: { dm_room_id: { type: 'string', description: 'The direct chat with them, when there is one' } } }],
      }, { params: [pathParam('identifier', 'What a person typed: a nick, a number, an address')], errors: [400, 401, 403, 404, 501] }),
    },
    '/dm/{identifier}': {
      post: operation('Start (or find) a direct chat with a remote user; the caller is invited', {
        allOf: [ref('RemoteUser'), { type: 'object', required: ['room_id', 'just_created'], properties: { room_id: { type: 'string' }, just_created: { type: 'boolean' } } }],
      }, { params: [pathParam('identifier', 'The remote user, as for /resolve')], errors: [400, 401, 403, 404, 501] }),
    },
    '/rooms/{roomId}/bridge': {
      post: operation('Bridge an existing room to a remote channel (the bot joins; the caller needs the power to set m.bridge there)', {
        type: 'object', required: ['room_id', 'channel_id'], additionalProperties: true,
        properties: { room_id: { type: 'string' }, channel_id: { type: 'string' } },
        description: 'Bridges may add fields (the webhook bridge: `url`, the hook\'s secret URL)',
      }, {
        params: [pathParam('roomId', 'A room id (!…)')], errors: [400, 401, 403, 501],
        body: { type: 'object', required: ['channel'], additionalProperties: false, properties: { channel: { type: 'string', minLength: 1, maxLength: 255 } } },
      }),
      delete: operation('Unbridge the room (from one channel with `channel`, else all)', empty, {
        params: [pathParam('roomId', 'A room id (!…)'), { name: 'channel', in: 'query', required: false, schema: { type: 'string' } }],
        errors: [400, 401, 403, 404, 501],
      }),
    },
    '/status': {
      get: operation('The bridge\'s state, the caller\'s logins with theirs, and the plugin\'s other connections (administrators only)', {
        type: 'object', required: ['bridge', 'user', 'logins_supported', 'logins', 'connections'],
        properties: {
          user: { type: 'object', required: ['user_id', 'admin'], properties: { user_id: { type: 'string' }, admin: { type: 'boolean', description: 'A bridge administrator (permissions `admin`)' } } },
          bridge: { type: 'object', required: ['plugin', 'state'], properties: { plugin: { type: 'string' }, state: { enum: ['running', 'degraded'] }, message: { type: 'string' } } },
          logins_supported: { type: 'boolean' },
          logins: { type: 'array', items: ref('Login') },
          connections: { type: 'array', description: 'Remote connections that are not logins (ctx.status); empty unless the caller is a bridge administrator', items: ref('Connection') },
        },
      }, { params: [{ name: 'all', in: 'query', required: false, description: '`true`: every login (bridge administrators only)', schema: { enum: ['true', 'false'] } }], errors: [401, 403] }),
    },
  },
  components: {
    securitySchemes: {
      openid: { type: 'http', scheme: 'bearer', description: '`openid:` followed by a Matrix OpenID token; `?user_id=` optional (it picks the homeserver to ask)' },
      sharedSecret: { type: 'http', scheme: 'bearer', description: 'The config\'s `provisioning.sharedSecret`, with `?user_id=` naming the user' },
    },
    schemas: {
      Error: { type: 'object', required: ['errcode', 'error'], properties: { errcode: { type: 'string' }, error: { type: 'string' } } },
      LoginFlow: { type: 'object', required: ['id', 'name', 'description'], properties: { id: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' } } },
      LoginField: {
        type: 'object', required: ['id', 'type', 'name', 'optional'],
        properties: {
          id: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' }, pattern: { type: 'string' }, optional: { type: 'boolean' },
          type: { enum: ['text', 'username', 'password', 'token', 'email', 'phone', 'url', 'domain', 'code'] },
        },
      },
      LoginStep: {
        oneOf: [
          { type: 'object', required: ['kind', 'step_id', 'instructions', 'fields'], properties: { kind: { const: 'input' }, step_id: { type: 'string' }, instructions: { type: 'string' }, fields: { type: 'array', items: ref('LoginField') } } },
          {
            type: 'object', required: ['kind', 'step_id', 'instructions', 'display'],
            properties: {
              kind: { const: 'display' }, step_id: { type: 'string' }, instructions: { type: 'string' },
              display: { type: 'object', required: ['type', 'data'], properties: { type: { enum: ['code', 'url', 'qr'] }, data: { type: 'string' } } },
            },
          },
          { type: 'object', required: ['kind', 'login'], properties: { kind: { const: 'complete' }, instructions: { type: 'string' }, login: ref('Login') } },
        ],
      },
      LoginProcess: { type: 'object', required: ['process_id', 'flow_id', 'step'], properties: { process_id: { type: 'string' }, flow_id: { type: 'string' }, step: ref('LoginStep') } },
      Login: {
        type: 'object', required: ['id', 'user_id', 'flow_id', 'remote_id', 'remote_name', 'metadata', 'created_at', 'status'],
        properties: {
          id: { type: 'string' }, user_id: { type: 'string' }, flow_id: { type: 'string' }, remote_id: { type: 'string' }, remote_name: { type: 'string' },
          metadata: { type: 'object' }, created_at: { type: 'integer' },
          status: {
            type: 'object', required: ['state', 'since'],
            properties: { state: { enum: [...LOGIN_STATES] }, message: { type: 'string' }, since: { type: 'integer' } },
          },
        },
      },
      Connection: {
        type: 'object', required: ['id', 'state', 'since'],
        properties: { id: { type: 'string' }, state: { enum: [...LOGIN_STATES] }, message: { type: 'string' }, since: { type: 'integer' } },
      },
      RemoteUser: {
        type: 'object', required: ['id', 'mxid'],
        properties: { id: { type: 'string' }, mxid: { type: 'string', description: 'Their ghost on Matrix' }, displayname: { type: 'string' }, avatar_url: { type: 'string' } },
      },
    },
  },
} as const;
