import { HomeserverApi } from '../../src/homeserver/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { Mirror, type RoomView } from '../../src/mirror/index.js';
import { Puppets, type PuppetsOptions } from '../../src/puppets/index.js';
import { Namespaces, type Registration } from '../../src/registration/index.js';
import { Store } from '../../src/store/index.js';
import {
  TestHomeserver, waitUntil, type CreateRoomOptions as CreateRoomBody, type RequestRecord, type TestHomeserverOptions, type TestUser,
} from '../../src/testing/index.js';
import { startEndpoint, type Endpoint } from '../helpers/endpoint.js';
import { tempDir } from '../helpers/temp.js';
import { LossyProxy } from './lossy-proxy.js';
import { testRegistration } from '../testing/helpers.js';

export const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 40, maxTotalWaitMs: 5_000, timeoutMs: 2_000 };
export const BOT = '@testbot:localhost';
export const ALICE_PUPPET = '@test_alice:localhost';
export const BOB_PUPPET = '@test_bob:localhost';

/** What the endpoint's handler feeds the echo to, and a gate that can hold it back. */
interface EchoFeed {
  bridge?: Bridge;
  gate?: Promise<void>;
}

/** The bridge side: its own store, homeserver client, mirror and puppets. */
export interface Bridge {
  readonly store: Store;
  readonly api: HomeserverApi;
  readonly mirror: Mirror;
  readonly puppets: Puppets;
}

export interface HarnessOptions {
  readonly homeserver?: TestHomeserverOptions;
  readonly puppets?: Partial<PuppetsOptions>;
  readonly retry?: Partial<typeof FAST_RETRY>;
  /** Put a LossyProxy between the bridge and the homeserver. */
  readonly proxy?: boolean;
}

/**
 * A test homeserver pushing to a real appservice endpoint whose inbox handler feeds the
 * bridge's mirror: the mirror follows the homeserver's echo, as in a running bridge.
 */
export class Harness {
  private constructor(
    readonly hs: TestHomeserver,
    readonly endpoint: Endpoint,
    readonly registration: Registration,
    private readonly dir: { path: string; cleanup: () => Promise<void> },
    private readonly options: HarnessOptions,
    /** What the endpoint's handler feeds; emptied while the bridge restarts. */
    private readonly holder: EchoFeed,
    public bridge: Bridge,
    readonly proxy: LossyProxy | undefined,
    private readonly baseUrl: string,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const holder: EchoFeed = {};
    const endpoint = await startEndpoint({
      registration: testRegistration(null),
      handler: async (item) => {
        while (holder.gate) await holder.gate;
        if (item.kind === 'event' && holder.bridge) await holder.bridge.mirror.apply(item.event);
      },
    });
    const registration = testRegistration(endpoint.url);
    const hs = await TestHomeserver.start({ appservice: registration, retryBaseMs: 50, pushTimeoutMs: 2_000, ...options.homeserver });
    const dir = await tempDir('bridgekit-puppets-');
    const proxy = options.proxy ? await LossyProxy.start(hs.url) : undefined;
    const baseUrl = proxy?.url ?? hs.url;
    holder.bridge = await openBridge(baseUrl, registration, dir.path, options);
    return new Harness(hs, endpoint, registration, dir, options, holder, holder.bridge, proxy, baseUrl);
  }

  get puppets(): Puppets { return this.bridge.puppets; }
  get mirror(): Mirror { return this.bridge.mirror; }
  get api(): HomeserverApi { return this.bridge.api; }

  /** Simulates a bridge crash and restart: everything in memory is gone, the store stays. */
  async restartBridge(): Promise<void> {
    await this.hs.waitForPushIdle();
    this.holder.bridge = undefined;
    this.bridge.puppets.close();
    await this.bridge.mirror.close();
    await this.bridge.store.close();
    this.bridge = await openBridge(this.baseUrl, this.registration, this.dir.path, this.options);
    this.holder.bridge = this.bridge;
  }

  /** Holds the homeserver's echo back from the mirror until the returned function is called. */
  holdEcho(): () => void {
    let release = (): void => undefined;
    this.holder.gate = new Promise<void>((resolve) => { release = resolve; });
    return () => { this.holder.gate = undefined; release(); };
  }

  /** Waits until the mirror's view of the room satisfies `check` (the echo has arrived). */
  async waitForMirror(roomId: string, check: (view: RoomView) => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<RoomView> {
    return waitUntil(async () => {
      const view = await this.mirror.room(roomId);
      if (!view || !(await check(view))) return undefined;
      // A check that reads state (a membership) may see events newer than the view's summary,
      // taken before it: answer with a view taken after it, which holds every earlier event.
      return this.mirror.room(roomId);
    }, timeoutMs, `the mirror to show ${roomId} as expected`);
  }

  /** Waits until the mirror shows `userId` with `membership` in the room. */
  waitForMembership(roomId: string, userId: string, membership: string): Promise<RoomView> {
    return this.waitForMirror(roomId, async (view) => view.hydrated && (await view.membership(userId)) === membership);
  }

  /** A mark to count requests from. */
  mark(): number {
    return this.hs.requests.length;
  }

  /** Requests the homeserver answered since `mark`, optionally only those whose path contains `part`. */
  requestsSince(mark: number, part?: string): RequestRecord[] {
    return this.hs.requests.slice(mark).filter((r) => part === undefined || r.path.includes(part));
  }

  /** A normal user who has joined a room the bot can see. */
  async humanRoom(creator: string, body: CreateRoomBody = {}): Promise<{ roomId: string; user: TestUser }> {
    const user = await this.hs.registerUser(creator);
    const roomId = await user.client.createRoom(body);
    return { roomId, user };
  }

  /** Invites the bot into a human's room and joins it, so that the mirror holds the room. */
  async botJoins(roomId: string, inviter: TestUser): Promise<void> {
    await inviter.client.invite(roomId, BOT);
    // As in a bridge, the bot acts on the invite after the mirror has applied it.
    await this.waitForMirror(roomId, async (view) => (await view.membership(BOT)) === 'invite');
    await this.puppets.bot.ensureJoined(roomId);
    await this.waitForMembership(roomId, BOT, 'join');
  }

  async close(): Promise<void> {
    this.holder.gate = undefined;
    this.bridge.puppets.close();
    await this.proxy?.close();
    await this.hs.stop();
    this.holder.bridge = undefined;
    await this.bridge.mirror.close();
    await this.endpoint.close();
    await this.bridge.store.close();
    await this.dir.cleanup();
  }
}

async function openBridge(baseUrl: string, registration: Registration, path: string, options: HarnessOptions): Promise<Bridge> {
  const store = await Store.open(path);
  const logger = silentLogger();
  const api = HomeserverApi.fromRegistration(registration, {
    baseUrl, domain: 'localhost', store, logger, retry: { ...FAST_RETRY, ...options.retry },
  });
  const mirror = new Mirror({ store, logger, fetchState: api.rooms.stateFetcher(), hydrateRetryMs: 0 });
  const namespaces = new Namespaces(registration, 'localhost');
  const puppets = new Puppets({ api, mirror, namespaces, store, logger, ...options.puppets });
  return { store, api, mirror, puppets };
}

/** A room made by the bot and seen by the mirror from its create event. */
export async function botRoom(h: Harness, options: Parameters<Puppets['bot']['createRoom']>[0] = {}): Promise<string> {
  const roomId = await h.puppets.bot.createRoom(options);
  await h.waitForMembership(roomId, BOT, 'join');
  return roomId;
}

/** A harness with a public room made by the bot, that the alice puppet has joined. */
export async function startWithJoinedRoom(): Promise<{ h: Harness; roomId: string }> {
  const h = await Harness.start();
  const roomId = await botRoom(h, { preset: 'public_chat' });
  await h.puppets.get(ALICE_PUPPET).ensureJoined(roomId);
  return { h, roomId };
}
