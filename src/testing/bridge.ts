import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig, type BridgeConfigInput } from '../config/index.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { BridgePlugin } from '../plugin/contract.js';
import { buildRegistration, type Registration } from '../registration/index.js';
import { startBridge, type RunningBridge, type StartBridgeOptions } from '../runtime/bridge.js';
import { TestHomeserver, type TestHomeserverOptions, type TestUser } from './homeserver.js';

export interface TestBridgeOptions {
  /** Config sections to override (merged per section over test defaults). */
  readonly config?: Partial<{ [K in keyof BridgeConfigInput]: Partial<NonNullable<BridgeConfigInput[K]>> }>;
  /** The plugin's own section (`bridge.config`). */
  readonly pluginConfig?: Record<string, unknown>;
  readonly homeserver?: Omit<TestHomeserverOptions, 'appservice'>;
  readonly logger?: Logger;
}

/**
 * A bridge running on a test homeserver, both in this process on real loopback sockets:
 * the homeserver pushes transactions to the bridge, the bridge calls the homeserver.
 * Bot `@bot:localhost`, ghosts `@_test_*:localhost`, store in a temp directory.
 */
export class TestBridge {
  private readonly users = new Map<string, TestUser>();

  private constructor(
    readonly hs: TestHomeserver,
    private running: RunningBridge,
    readonly registration: Registration,
    private readonly dir: string,
    private readonly launch: () => Promise<RunningBridge>,
  ) {}

  /** @internal The running bridge's parts, for bridgekit's own tests. */
  get bridge(): RunningBridge {
    return this.running;
  }

  /** Waits until the homeserver has pushed everything it has and the bridge has handled it. */
  async settled(timeoutMs = 10_000): Promise<void> {
    await this.hs.waitForPushIdle(timeoutMs);
    await this.running.inbox.drained();
  }

  /** Stops the bridge and starts a new one on the same store and homeserver (a bridge restart). */
  async restartBridge(): Promise<void> {
    await this.running.stop();
    this.running = await this.launch();
  }

  get botUserId(): string {
    return `@${this.registration.sender_localpart}:${this.hs.serverName}`;
  }

  /** A normal Matrix user on the test homeserver, registered once per localpart. */
  async user(localpart: string): Promise<TestUser> {
    let user = this.users.get(localpart);
    if (!user) {
      user = await this.hs.registerUser(localpart);
      this.users.set(localpart, user);
    }
    return user;
  }

  /** Stops the bridge, then the homeserver, and removes the store. */
  async stop(): Promise<void> {
    await this.bridge.stop();
    await this.hs.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * `plugin` may be a factory: each (re)start then gets a fresh instance, as a restarted
   * process would.
   */
  static async start(plugin: BridgePlugin<unknown> | (() => BridgePlugin<unknown>), options: TestBridgeOptions = {}): Promise<TestBridge> {
    const makePlugin = typeof plugin === 'function' ? plugin : () => plugin;
    const first = makePlugin();
    const dir = await mkdtemp(join(tmpdir(), 'bridgekit-testbridge-'));
    const o = options.config ?? {};
    const raw = (homeserverUrl: string): BridgeConfigInput => ({
      ...o,
      homeserver: { url: homeserverUrl, domain: 'localhost', ...o.homeserver },
      appservice: { id: 'test', url: null, bind: '127.0.0.1', port: 0, registration: 'registration.yaml', bot: 'bot', prefix: '_test_', ...o.appservice },
      // A store.url (PostgreSQL) replaces the temp folder.
      store: o.store?.url !== undefined ? { ...o.store } : { path: join(dir, 'store'), ...o.store },
      bridge: { plugin: first.name, config: options.pluginConfig ?? {}, ...o.bridge },
      inbox: { retryBaseMs: 20, retryMaxMs: 200, maxAttempts: 4, ...o.inbox },
      logging: { level: 'silent', ...o.logging },
    } as BridgeConfigInput);
    // The homeserver needs the registration first; its url is known once the bridge listens.
    const registration = buildRegistration(validateConfig(raw('http://127.0.0.1:1'), 'test', dir));
    const hs = await TestHomeserver.start({ retryBaseMs: 20, retryMaxMs: 200, pushTimeoutMs: 5_000, ...options.homeserver, appservice: registration });
    try {
      const config = validateConfig(raw(hs.url), 'test', dir);
      const base: StartBridgeOptions = { config, registration, logger: options.logger ?? silentLogger() };
      let next: BridgePlugin<unknown> | undefined = first;
      const launch = async () => {
        const bridge = await startBridge({ ...base, plugin: next ?? makePlugin() });
        next = undefined;
        registration.url = bridge.url;
        return bridge;
      };
      return new TestBridge(hs, await launch(), registration, dir, launch);
    } catch (e) {
      await hs.stop();
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }
}
