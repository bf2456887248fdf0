import type { BridgePlugin } from '../../src/plugin/contract.js';
import type { BridgeRoomRequest, ProvisioningCaller, UnbridgeRoomRequest } from '../../src/plugin/provisioning.js';
import type { RemoteUser } from '../../src/plugin/remote-events.js';
import { TestBridge, type TestBridgeOptions, type TestUser } from '../../src/testing/index.js';

export const PREFIX = '/_matrix/provision/v1';
export const SECRET = 'a-shared-secret-of-at-least-32-characters!';

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

/** One request to the provisioning API of a running bridge. */
export async function call(baseUrl: string, method: string, path: string, options: { token?: string; userId?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const url = new URL(`${PREFIX}${path}`, baseUrl);
  if (options.userId !== undefined) url.searchParams.set('user_id', options.userId);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : JSON.parse(text) as Record<string, unknown>, headers: res.headers };
}

/** `openid:<token>` for a user, fresh from the test homeserver. */
export async function openIdToken(user: TestUser): Promise<string> {
  return `openid:${(await user.client.requestOpenIdToken(user.userId)).access_token}`;
}

/** What the test plugin was asked, in order. */
export interface Asked {
  readonly bridged: BridgeRoomRequest[];
  readonly unbridged: UnbridgeRoomRequest[];
  readonly dms: Array<{ user: RemoteUser; caller: ProvisioningCaller }>;
}

const PEOPLE: Record<string, RemoteUser> = {
  carol: { id: 'carol', displayName: 'Carol Remote' },
  dave: { id: 'dave', displayName: 'Dave Remote' },
};

/** A plugin for a small remote network of two people, with every provisioning hook. */
export function provisioningPlugin(asked: Asked, options: { hooks?: boolean } = {}): BridgePlugin<unknown> {
  const links = new Map<string, string>();
  const plugin: BridgePlugin<unknown> = {
    name: 'provtest',
    capabilities: { messages: true },
    async start() {},
  };
  if (options.hooks === false) return plugin;
  return {
    ...plugin,
    provisioning: {
      async resolveIdentifier(identifier) {
        const user = PEOPLE[identifier.toLowerCase()];
        return user === undefined ? undefined : { user, dmChannelId: `dm:${user.id}` };
      },
      async startDirectChat(user, caller) {
        asked.dms.push({ user, caller });
        return { id: `dm:${user.id}`, name: user.displayName ?? user.id, isDirect: true };
      },
      async bridgeRoom(request) {
        asked.bridged.push(request);
        links.set(request.roomId, request.channel);
        return { channelId: `#${request.channel}`, details: { note: 'bridged by the test plugin' } };
      },
      async unbridgeRoom(request) {
        asked.unbridged.push(request);
        return links.delete(request.roomId);
      },
    },
  };
}

export function newAsked(): Asked {
  return { bridged: [], unbridged: [], dms: [] };
}

/** A bridge with the provisioning API on, a shared secret, and `permissions`. */
export function startBridge(plugin: BridgePlugin<unknown>, extra: TestBridgeOptions['config'] = {}, homeserver: TestBridgeOptions['homeserver'] = {}): Promise<TestBridge> {
  return TestBridge.start(plugin, {
    config: {
      provisioning: { enabled: true, sharedSecret: SECRET, allowedOrigins: ['https://app.example.org'] },
      permissions: { localhost: 'user', '@mallory:localhost': 'none', '@rita:localhost': 'relay', '@admin:localhost': 'admin' },
      ...extra,
    },
    homeserver,
  });
}
