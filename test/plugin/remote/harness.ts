import { validateConfig } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/log/logger.js';
import type {
  BridgePlugin, PluginContext, PresenceUpdate, RemoteChannel, RemoteEvent, RemoteUser,
} from '../../../src/plugin/contract.js';
import type { RemotePushResult } from '../../../src/plugin/remote/types.js';
import { buildRegistration, type Registration } from '../../../src/registration/index.js';
import { startBridge, type RunningBridge } from '../../../src/runtime/bridge.js';
import { TestHomeserver, waitUntil, type RequestRecord, type TestUser } from '../../../src/testing/index.js';
import { tempDir } from '../../helpers/temp.js';

export const DOMAIN = 'localhost';
export const BOT = '@remotebot:localhost';
export const PREFIX = 'rt_';

/** A plugin for tests: remembers its context, answers lookups from maps, records presence. */
export class TestPlugin implements BridgePlugin<unknown> {
  readonly name = 'remotetest';
  readonly capabilities = { messages: true, presence: true, profile: true, membership: true } as const;
  readonly users = new Map<string, RemoteUser>();
  readonly channels = new Map<string, RemoteChannel>();
  readonly presence: PresenceUpdate[] = [];
  private context: PluginContext | undefined;

  get ctx(): PluginContext {
    if (!this.context) throw new Error('the plugin has not started');
    return this.context;
  }

  async start(ctx: PluginContext): Promise<void> { this.context = ctx; }
  async onPresence(update: PresenceUpdate): Promise<void> { this.presence.push(update); }
  async lookupUser(remoteUserId: string): Promise<RemoteUser | undefined> { return this.users.get(remoteUserId); }
  async lookupChannel(remoteChannelId: string): Promise<RemoteChannel | undefined> { return this.channels.get(remoteChannelId); }

  /** `ctx.remote.push`, typed with the pipeline's fuller result. */
  push(event: RemoteEvent): Promise<RemotePushResult> {
    return this.ctx.remote.push(event) as Promise<RemotePushResult>;
  }
}

export interface HarnessOptions {
  readonly presenceRefreshMs?: number;
  /** Let remote avatars come from loopback (the test's own servers); default: refused, as in production. */
  readonly allowPrivateTargets?: boolean;
}

/** A test homeserver and a whole bridge (`startBridge`) with a TestPlugin, over real sockets. */
export class RemoteHarness {
  private constructor(
    readonly hs: TestHomeserver,
    readonly bridge: RunningBridge,
    readonly plugin: TestPlugin,
    readonly registration: Registration,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<RemoteHarness> {
    const dir = await tempDir('bridgekit-remote-');
    const raw = (homeserverUrl: string) => ({
      homeserver: { url: homeserverUrl, domain: DOMAIN },
      appservice: { id: 'remotetest', url: null, port: 0, registration: 'unused.yaml', bot: 'remotebot', prefix: PREFIX },
      store: { path: dir.path },
      bridge: { plugin: 'remotetest' },
      inbox: { retryBaseMs: 20, retryMaxMs: 200 },
      logging: { level: 'silent' },
      ...(options.allowPrivateTargets ? { outbound: { allowPrivateTargets: true } } : {}),
    });
    // The registration does not depend on the homeserver's URL; the bridge's URL is known once it listens.
    const registration = buildRegistration(validateConfig(raw('http://127.0.0.1:1'), 'test', dir.path));
    const hs = await TestHomeserver.start({ appservice: registration, retryBaseMs: 50, pushTimeoutMs: 5_000 });
    const plugin = new TestPlugin();
    const bridge = await startBridge({
      config: validateConfig(raw(hs.url), 'test', dir.path),
      plugin,
      registration,
      logger: silentLogger(),
      ...(options.presenceRefreshMs !== undefined ? { presenceRefreshMs: options.presenceRefreshMs } : {}),
    });
    registration.url = bridge.url;
    return new RemoteHarness(hs, bridge, plugin, registration, dir.cleanup);
  }

  ghost(remoteId: string): string {
    return `@${PREFIX}${remoteId}:${DOMAIN}`;
  }

  /** A mark to count requests from. */
  mark(): number {
    return this.hs.requests.length;
  }

  requestsSince(mark: number, method: string, part: string): RequestRecord[] {
    return this.hs.requests.slice(mark).filter((r) => r.method === method && r.path.includes(part));
  }

  /** Message bodies in the room, in timeline order, sent by `sender` (anyone when omitted). */
  bodies(roomId: string, sender?: string): string[] {
    return this.hs.events(roomId)
      .filter((e) => e.type === 'm.room.message' && (sender === undefined || e.sender === sender))
      .map((e) => String(e.content['body']));
  }

  /** Waits until the bridge's mirror shows `userId` joined to the room. */
  async waitForMirrorJoin(roomId: string, userId: string): Promise<void> {
    await waitUntil(async () => (await (await this.bridge.mirror.room(roomId))?.membership(userId)) === 'join', 5_000, `${userId} joined in the mirror`);
  }

  /** A normal user joined to the portal of `channelId` (invited by the bot, then joining). */
  async humanInPortal(localpart: string, roomId: string): Promise<TestUser> {
    const user = await this.hs.registerUser(localpart);
    await this.hs.appserviceClient().invite(roomId, user.userId);
    await user.client.join(roomId);
    await this.waitForMirrorJoin(roomId, user.userId);
    return user;
  }

  async close(): Promise<void> {
    await this.bridge.stop();
    await this.hs.stop();
    await this.cleanup();
  }
}

export function channel(id: string, extra: Partial<RemoteChannel> = {}): RemoteChannel {
  return { id, name: `Channel ${id}`, ...extra };
}

export function user(id: string, displayName?: string): RemoteUser {
  return displayName === undefined ? { id } : { id, displayName };
}
