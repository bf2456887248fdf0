import type { HomeserverApi } from '../homeserver/index.js';
import type { Logger } from '../log/logger.js';
import type { Namespaces } from '../registration/index.js';
import type { Store } from '../store/store.js';
import type { PuppetContext, PuppetMirror, UnjudgedRoomPolicy } from './context.js';
import { NotAPuppetError } from './errors.js';
import { Lru } from '../util/lru.js';
import { Permissions } from './permissions.js';
import { ProfileRecords } from './profile-records.js';
import { Puppet } from './puppet.js';
import { Messages } from './messages.js';
import type { JsonObject } from '../events/types.js';
import { Registrar } from './registrar.js';
import { TypingTracker } from './typing.js';
import { UnechoedWrites } from './unechoed.js';
import { UploadCache } from './uploads.js';

export interface PuppetsOptions {
  readonly api: HomeserverApi;
  /** The room mirror, fed from the homeserver's echo (e.g. `mirror.apply` in the inbox handler). */
  readonly mirror: PuppetMirror;
  readonly namespaces: Namespaces;
  /** Where profiles, uploads and unechoed writes are kept (sections `puppets.*`). */
  readonly store: Store;
  readonly logger: Logger;
  /** How many Puppet objects stay cached (default 10 000); they are cheap to make again. */
  readonly cacheSize?: number;
  /** What to do when the mirror cannot judge a room (default `ask-homeserver`). */
  readonly whenMirrorCannotJudge?: UnjudgedRoomPolicy;
}

/**
 * The users the bridge acts as: `bot`, and `get(userId)` for virtual users inside the
 * registration's user namespaces. Any other user id is refused with `NotAPuppetError`
 * before any request.
 */
export class Puppets {
  readonly bot: Puppet;
  private readonly ctx: PuppetContext;
  private readonly cache: Lru<string, Puppet>;

  private readonly store: Store;

  constructor(options: PuppetsOptions) {
    this.store = options.store;
    const botUserId = options.namespaces.botUserId;
    if (botUserId !== options.api.client.botUserId) {
      throw new Error(`the registration's bot ${botUserId} is not the homeserver client's bot ${options.api.client.botUserId}`);
    }
    const logger = options.logger.child({ component: 'puppets' });
    const unechoed = new UnechoedWrites(options.store);
    this.ctx = {
      api: options.api,
      mirror: options.mirror,
      namespaces: options.namespaces,
      logger,
      botUserId,
      permissions: new Permissions(options.mirror, unechoed, options.whenMirrorCannotJudge ?? 'ask-homeserver', logger),
      unechoed,
      uploads: new UploadCache(options.store, options.api),
      profiles: new ProfileRecords(options.store),
      registrar: new Registrar(options.api, botUserId),
      typing: new TypingTracker(options.api, logger),
      uncertainJoins: new Set(),
    };
    this.cache = new Lru(options.cacheSize ?? 10_000);
    this.bot = new Puppet(this.ctx, botUserId);
  }

  /** Whether the bridge may act as this user (the bot, or inside a user namespace). */
  controls(userId: string): boolean {
    return this.ctx.namespaces.isControlledUser(userId);
  }

  /** The puppet for `userId`; throws `NotAPuppetError` for anyone the bridge may not act as. */
  get(userId: string): Puppet {
    if (userId === this.bot.userId) return this.bot;
    if (!this.ctx.namespaces.isVirtualUser(userId)) throw new NotAPuppetError(userId);
    let puppet = this.cache.get(userId);
    if (!puppet) {
      puppet = new Puppet(this.ctx, userId);
      this.cache.set(userId, puppet);
    }
    return puppet;
  }

  /**
   * @internal
   * Message sends as a real Matrix user through `api` (made with their own access token:
   * double puppeting), judged by the same permission engine; `extraContent` goes into
   * every event (the marker by which the bridge knows its own double-puppeted events).
   */
  messagesAs(userId: string, api: HomeserverApi, extraContent: JsonObject): Messages {
    return new Messages({ ...this.ctx, api, uploads: new UploadCache(this.store, api), extraContent }, userId);
  }

  /** Stops every typing refresh (shutdown); the homeserver lets the notifications time out. */
  close(): void {
    this.ctx.typing.abandonAll();
  }
}
