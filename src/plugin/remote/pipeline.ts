import type { HomeserverApi } from '../../homeserver/index.js';
import type { Logger } from '../../log/logger.js';
import type { Mirror } from '../../mirror/index.js';
import { KeyedQueue } from '../../util/keyed-queue.js';
import type { Puppet, Puppets } from '../../puppets/index.js';
import type { Store } from '../../store/index.js';
import { BridgeInfoKeeper } from '../bridge-info/keeper.js';
import type { BridgeInfo } from '../bridge-info/types.js';
import type { GhostIds } from '../ghost-ids.js';
import type { Mappings } from '../mappings.js';
import type { RemoteChannel, RemoteEvent, RemoteUser } from '../remote-events.js';
import { Backfill, type FetchHistory } from './backfill.js';
import { unknownTarget } from './errors.js';
import { GhostProfiles } from './ghost-profiles.js';
import { remoteImages, type OutboundSettings } from './media-source.js';
import type { MemberRooms } from './member-rooms.js';
import { RemoteMessages, type RemoteSender } from './messages.js';
import type { DoublePuppets } from '../../puppets/double/index.js';
import { Portals, type EnsurePortalOptions } from './portals.js';
import { PresenceRelay } from './presence-relay.js';
import { RemoteRecords } from './records.js';
import { RoomActivity } from './room-activity.js';
import type { ChannelEvent, RemoteOf, RemotePushResult } from './types.js';

export interface RemotePipelineOptions {
  readonly puppets: Puppets;
  readonly mirror: Pick<Mirror, 'room'>;
  readonly mappings: Mappings;
  readonly ghosts: GhostIds;
  /** Directory and media only: everything a puppet can do goes through the puppet. */
  readonly api: Pick<HomeserverApi, 'directory' | 'media'>;
  /** Where remote profiles and channel avatars are remembered (section `plugin.remote`). */
  readonly store: Store;
  /** The user → rooms index the plugin host also uses for presence. */
  readonly memberRooms: MemberRooms;
  readonly logger: Logger;
  /** How remote avatars are fetched (config `outbound`); private addresses refused by default. */
  readonly outbound?: OutboundSettings;
  /** How often a ghost's `online`/`unavailable` presence is re-sent (default 60 s). */
  readonly presenceRefreshMs?: number;
  /** New portals are created end-to-end encrypted (`encryption.default`). */
  readonly encryptNewPortals?: boolean;
  /** Real users the bridge may send as (config `doublePuppet`); without it, everyone is a ghost. */
  readonly doublePuppets?: DoublePuppets;
  /**
   * Whether `matrixUserId` has a login on the bridge whose remote account is `remoteId`:
   * a sender's `matrixUserId` is only believed then (without it, never), so nothing the
   * plugin or the remote side says can make the bridge post as an arbitrary Matrix user.
   */
  readonly hasLogin?: (matrixUserId: string, remoteId: string) => boolean;
  /** What the portals' `m.bridge` events say (the plugin's `bridgeInfo`); none without. */
  readonly bridgeInfo?: BridgeInfo;
  /** The plugin's name (the default state key prefix of `m.bridge`). */
  readonly pluginName?: string;
  /** The plugin's `fetchHistory`: portals catch up on what they missed. */
  readonly fetchHistory?: FetchHistory;
  /** Messages per portal per catch-up (config `bridge.backfillLimit`; default 100, 0 off). */
  readonly backfillLimit?: number;
  /** The room a channel's events go to now: its portal, or the replacement of an upgraded one (followed first). */
  readonly currentRoom?: (channelId: string, roomId: string) => Promise<string>;
  /** The room an upgraded room replaced (its create event's `predecessor`), so a repeat posted there is still a repeat. */
  readonly predecessorOf?: (roomId: string) => Promise<string | undefined>;
}

/** How many upgrades back a repeated remote id is looked for. */
const MAX_PREDECESSORS = 4;

/** Kinds that need an existing portal: what they refer to cannot be anywhere else. */
const NEEDS_TARGET = new Set<RemoteEvent['kind']>(['edit', 'reaction', 'redaction', 'read']);

/**
 * Remote → Matrix: `ctx.remote.push`. Events of one channel run one at a time in push
 * order (a keyed queue), presence and profile changes one at a time per remote user;
 * different channels and users run concurrently. Each channel event gets its portal
 * (created on first use), its ghost (registered, named, joined), then its own effect.
 */
export class RemotePipeline {
  private readonly queue = new KeyedQueue();
  private readonly portals: Portals;
  private readonly profiles: GhostProfiles;
  private readonly presence: PresenceRelay;
  private readonly messages: RemoteMessages;
  private readonly activity: RoomActivity;
  private readonly bridgeInfo: BridgeInfoKeeper;
  private readonly backfill: Backfill;
  private closed = false;

  constructor(private readonly options: RemotePipelineOptions) {
    const { puppets, mirror, mappings, ghosts, api, memberRooms, logger } = options;
    const records = new RemoteRecords(options.store);
    const images = remoteImages(options.outbound);
    this.bridgeInfo = new BridgeInfoKeeper({ info: options.bridgeInfo, pluginName: options.pluginName ?? 'bridge', puppets, mirror, records, logger });
    this.backfill = new Backfill({ fetchHistory: options.fetchHistory, limit: options.backfillLimit ?? 100, store: options.store, logger });
    this.portals = new Portals({
      puppets, api, mirror, mappings, ghosts, records, images, logger, encryptNewPortals: options.encryptNewPortals, bridgeInfo: this.bridgeInfo,
      locks: options.store,
    });
    this.profiles = new GhostProfiles({ puppets, mirror, mappings, memberRooms, records, images, logger });
    this.presence = new PresenceRelay(puppets, logger, options.presenceRefreshMs);
    this.messages = new RemoteMessages({ puppets, mappings, logger });
    this.activity = new RoomActivity({ puppets, ghosts, messages: this.messages, memberRooms, logger });
  }

  push(event: RemoteEvent): Promise<RemotePushResult> {
    if (this.closed) return Promise.reject(new Error('the remote pipeline is closed: bridgekit is shutting down'));
    const key = event.kind === 'presence' || event.kind === 'profile' ? userKey(event.sender) : channelKey(event.channel.id);
    return this.queue.run(key, () => this.handle(event)).catch((err: unknown) => {
      this.options.logger.warn({ err, kind: event.kind, ...where(event) }, 'remote event not bridged');
      throw err;
    });
  }

  /** Runs `task` in the channel's order: no push of that channel runs meanwhile. */
  runInChannel<T>(channelId: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(channelKey(channelId), task);
  }

  /** The portal of `channel`, created when missing (alias queries). */
  async ensurePortal(channel: RemoteChannel, options: EnsurePortalOptions = {}): Promise<string> {
    const roomId = await this.portals.ensure(channel, options);
    // After answering (the homeserver waits on a query), in the channel's order.
    if (this.backfill.enabled && !this.closed) {
      void this.queue.run(channelKey(channel.id), () => this.catchUp(channel, roomId, undefined))
        .catch((err: unknown) => this.options.logger.warn({ err, channelId: channel.id, roomId }, 'could not catch the new portal up'));
    }
    return roomId;
  }

  /** The remote user's ghost, registered and with its profile (user queries). Returns its user id. */
  async ensureGhost(user: RemoteUser): Promise<string> {
    const ghost = this.options.puppets.get(this.options.ghosts.userId(user.id));
    await ghost.ensureRegistered();
    await this.queue.run(userKey(user), () => this.profiles.apply(ghost.userId, user));
    return ghost.userId;
  }

  /**
   * A room the plugin linked to a channel itself (a plumbed room): its bridge info is set,
   * in the channel's order. Failures are logged: the link stands without it.
   */
  linked(channelId: string, roomId: string): void {
    if (!this.bridgeInfo.enabled || this.closed) return;
    void this.queue.run(channelKey(channelId), () => this.refreshOne(channelId, roomId))
      .catch((err: unknown) => this.options.logger.warn({ err, channelId, roomId }, 'could not set the bridge info of a linked room'));
  }

  /** The plugin unlinked a room from its channel: the room's bridge info is withdrawn, in the channel's order. */
  unlinked(channelId: string, roomId: string): void {
    if (!this.bridgeInfo.enabled || this.closed) return;
    void this.queue.run(channelKey(channelId), () => this.bridgeInfo.clear(roomId, channelId))
      .catch((err: unknown) => this.options.logger.warn({ err, channelId, roomId }, 'could not withdraw the bridge info of an unlinked room'));
  }

  /**
   * The portals of an earlier run, at start: bridge info brought up to date and history
   * caught up, one portal at a time (each in its channel's order), so a bridge with many
   * portals sends no burst. A channel that speaks first is caught up on its first event.
   */
  async sweep(portals: AsyncIterable<readonly [channelId: string, roomId: string]>): Promise<{ infoSent: number; caughtUp: number }> {
    const total = { infoSent: 0, caughtUp: 0 };
    if (!this.bridgeInfo.enabled && !this.backfill.enabled) return total;
    // Listed first: no store iterator held open while portals catch up.
    const list: Array<readonly [string, string]> = [];
    for await (const portal of portals) list.push(portal);
    for (const [channelId, roomId] of list) {
      if (this.closed) break;
      try {
        // Under the channel's lock (as its portal's creation): two processes of a cluster
        // starting at once do not both catch the same history up.
        await this.queue.run(channelKey(channelId), () => this.options.store.withLock(`portal:${channelId}`, async () => {
          const room = await this.options.mirror.room(roomId);
          const channel = await this.bridgeInfo.remembered(channelId, room?.name);
          total.infoSent += (await this.bridgeInfo.ensure(roomId, channel)).length;
          total.caughtUp += await this.catchUp(channel, roomId, undefined);
        }));
      } catch (err) {
        this.options.logger.warn({ err, channelId, roomId }, 'could not bring a portal up to date at start');
      }
    }
    return total;
  }

  private async refreshOne(channelId: string, roomId: string): Promise<string[]> {
    const room = await this.options.mirror.room(roomId);
    return this.bridgeInfo.ensure(roomId, await this.bridgeInfo.remembered(channelId, room?.name));
  }

  /** Inside the channel's queue: history goes through the same path as live messages. */
  private catchUp(channel: RemoteChannel, roomId: string, before: string | undefined): Promise<number> {
    return this.backfill.catchUp(channel, roomId, before, (message) => this.inChannel(message));
  }

  /** Refuses new pushes, lets queued ones finish, and stops presence refreshes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.idle();
    this.presence.close();
  }

  private async handle(event: RemoteEvent): Promise<RemotePushResult> {
    switch (event.kind) {
      case 'presence': {
        const sent = await this.presence.set(this.options.ghosts.userId(event.sender.id), event.presence, event.statusMsg);
        return { duplicate: !sent };
      }
      case 'profile':
        await this.profiles.apply(this.options.ghosts.userId(event.sender.id), event.sender);
        return { duplicate: false };
      case 'channel':
        return this.channelInfo(event);
      default:
        return this.inChannel(event);
    }
  }

  private async inChannel(event: ChannelEvent): Promise<RemotePushResult> {
    const channelId = event.channel.id;
    const mapped = await this.options.mappings.roomForChannel(channelId);
    // A portal whose room was upgraded is followed first: nothing goes to the dead room.
    const known = mapped === undefined || !this.options.currentRoom ? mapped : await this.options.currentRoom(channelId, mapped);
    // A repeat is answered from the mappings alone: no request at all.
    if (event.kind === 'message' || event.kind === 'reaction') {
      const posted = await this.postedBefore(known, event.id);
      if (posted !== undefined) return { ...posted, duplicate: true };
    }
    if (known === undefined && NEEDS_TARGET.has(event.kind)) {
      throw unknownTarget(event.kind, channelId, '(no portal yet)', targetOf(event));
    }
    if (known === undefined && !(event.kind === 'message' || (event.kind === 'membership' && event.membership === 'join'))) {
      return { duplicate: false }; // typing, leave, kick … in a channel never bridged: nothing to show.
    }
    const roomId = known ?? await this.portals.ensure(event.channel);
    // The channel's first event in this run: what it missed goes first.
    await this.catchUp(event.channel, roomId, event.kind === 'message' ? event.id : undefined);
    if (event.kind === 'membership' && event.membership === 'leave') {
      return this.activity.membership(roomId, channelId, this.options.puppets.get(this.options.ghosts.userId(event.sender.id)), event);
    }
    // Done by the bot: the sender may be a server or a service that has no ghost.
    if (event.kind === 'power') return this.activity.power(roomId, event);
    // No sender (messages only): the bot speaks; it is in every portal already.
    const sender = event.sender;
    if (sender === undefined) return event.kind === 'message' ? this.postMessage(roomId, channelId, this.options.puppets.bot, event) : { duplicate: false };
    // A remote account of a Matrix user with a double puppet posts as that user.
    const speaker = async () => await this.doublePuppet(sender, roomId) ?? this.joinedGhost(sender, roomId);
    switch (event.kind) {
      case 'message': return this.postMessage(roomId, channelId, await speaker(), event);
      case 'edit': return this.messages.edit(roomId, channelId, await speaker(), event);
      case 'reaction': return this.messages.reaction(roomId, channelId, await speaker(), event);
      case 'redaction': return this.messages.redaction(roomId, channelId, await speaker(), event);
      case 'typing': return this.activity.typing(roomId, await this.joinedGhost(sender, roomId), event);
      case 'read': return this.activity.read(roomId, channelId, await this.joinedGhost(sender, roomId), event);
      case 'membership': return this.activity.membership(roomId, channelId, await this.joinedGhost(sender, roomId), event);
    }
  }

  /** Where a remote id was posted: this portal, or a room it replaced (an upgrade), newest first. */
  private async postedBefore(roomId: string | undefined, remoteId: string): Promise<{ roomId: string; eventId: string } | undefined> {
    let room = roomId;
    for (let depth = 0; room !== undefined && depth < MAX_PREDECESSORS; depth++) {
      const eventId = await this.messages.posted(room, remoteId);
      if (eventId !== undefined) return { roomId: room, eventId };
      room = await this.options.predecessorOf?.(room);
    }
    return undefined;
  }

  /** A new channel gets a portal made with its info; a known one gets what changed. */
  private async channelInfo(event: RemoteOf<'channel'>): Promise<RemotePushResult> {
    const mapped = await this.options.mappings.roomForChannel(event.channel.id);
    const known = mapped === undefined || !this.options.currentRoom ? mapped : await this.options.currentRoom(event.channel.id, mapped);
    if (known === undefined) {
      const roomId = await this.portals.ensure(event.channel);
      await this.catchUp(event.channel, roomId, undefined);
      return { roomId, duplicate: false };
    }
    const actor = event.sender ? (await this.joinedGhost(event.sender, known)).userId : undefined;
    const eventIds = await this.portals.update(known, event.channel, actor);
    const eventId = eventIds[eventIds.length - 1];
    return { roomId: known, ...(eventId !== undefined ? { eventId } : {}), duplicate: eventIds.length === 0 };
  }

  /** A message posted, then noted as the channel's latest bridged one (backfill's `after`). */
  private async postMessage(roomId: string, channelId: string, speaker: RemoteSender, event: RemoteOf<'message'>): Promise<RemotePushResult> {
    const result = await this.messages.message(roomId, speaker, event);
    await this.backfill.bridged(channelId, event);
    return result;
  }

  /** The double puppet of the Matrix user behind `sender`, when there is one for this room. */
  private async doublePuppet(sender: RemoteUser, roomId: string): Promise<RemoteSender | undefined> {
    if (sender.matrixUserId === undefined || !this.options.doublePuppets) return undefined;
    if (!this.options.hasLogin?.(sender.matrixUserId, sender.id)) {
      this.options.logger.warn({ matrixUserId: sender.matrixUserId, remoteId: sender.id, roomId },
        'double puppet not used: that Matrix user has no login on the bridge for this remote account; sent as the ghost');
      return undefined;
    }
    return this.options.doublePuppets.forRoom(sender.matrixUserId, roomId);
  }

  /** The sender's ghost: registered, profile up to date (in the user's queue), joined to the portal. */
  private async joinedGhost(sender: RemoteUser, roomId: string): Promise<Puppet> {
    const ghost = this.options.puppets.get(this.options.ghosts.userId(sender.id));
    await ghost.ensureRegistered();
    await this.queue.run(userKey(sender), () => this.profiles.apply(ghost.userId, sender));
    if (!await ghost.isJoined(roomId)) {
      await ghost.ensureJoined(roomId);
      await this.options.memberRooms.record(ghost.userId, roomId, true);
    }
    return ghost;
  }
}

function channelKey(channelId: string): string {
  return `channel\u0000${channelId}`;
}

function userKey(user: RemoteUser): string {
  return `user\u0000${user.id}`;
}

function targetOf(event: ChannelEvent): string {
  if (event.kind === 'read') return event.upToId;
  return 'targetId' in event ? event.targetId : '(none)';
}

function where(event: RemoteEvent): Record<string, string> {
  if (event.kind === 'presence' || event.kind === 'profile') return { remoteUserId: event.sender.id };
  return { channelId: event.channel.id };
}
