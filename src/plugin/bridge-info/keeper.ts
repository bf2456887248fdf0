import { MatrixError } from '../../homeserver/index.js';
import type { Logger } from '../../log/logger.js';
import type { Mirror } from '../../mirror/index.js';
import { PermissionDenied, type Puppets } from '../../puppets/index.js';
import type { InitialState } from '../../puppets/content/room.js';
import type { RemoteChannel } from '../remote-events.js';
import type { ChannelRecord, RemoteRecords } from '../remote/records.js';
import { BRIDGE_INFO_TYPES, portalInfo, sameContent, type PortalInfo } from './content.js';
import type { BridgeInfo } from './types.js';

export interface BridgeInfoKeeperDeps {
  /** Undefined: the plugin declares none, and nothing is sent. */
  readonly info: BridgeInfo | undefined;
  readonly pluginName: string;
  readonly puppets: Puppets;
  readonly mirror: Pick<Mirror, 'room'>;
  readonly records: RemoteRecords;
  readonly logger: Logger;
}

/**
 * Keeps the `m.bridge` event (and its unstable twin `uk.half-shot.bridge`) of each portal
 * as the plugin and the channel describe it: in the initial state of a new portal, sent
 * again when the channel's name or avatar changes, and checked against the mirror at start.
 * What the channel said last (name, external URL, creator) is remembered per channel, so a
 * later change that carries only the topic keeps the rest.
 */
export class BridgeInfoKeeper {
  constructor(private readonly deps: BridgeInfoKeeperDeps) {}

  get enabled(): boolean {
    return this.deps.info !== undefined;
  }

  /** Both events for a portal about to be created (empty without bridge info). */
  async initialState(channel: RemoteChannel, avatarMxc: string | undefined, creator?: string): Promise<InitialState[]> {
    // Also remembers the channel's name, link and creator.
    const info = await this.build(channel, avatarMxc, creator);
    if (info === undefined) return [];
    return BRIDGE_INFO_TYPES.map((type) => ({ type, stateKey: info.stateKey, content: info.content }));
  }

  /**
   * Sends what differs from the mirror's copy, as the bot. A bot that may not (a room it
   * did not create, where it lacks the power) is logged once per call, not thrown: the
   * portal works without the event. `avatarMxc`: the portal's avatar when just changed
   * (the mirror may not have it yet). Returns the event ids sent.
   */
  async ensure(roomId: string, channel: RemoteChannel, avatarMxc?: string): Promise<string[]> {
    const room = await this.deps.mirror.room(roomId);
    const info = await this.build(channel, avatarMxc ?? room?.avatarUrl);
    if (info === undefined) return [];
    const sent: string[] = [];
    for (const type of BRIDGE_INFO_TYPES) {
      const stored = await room?.stateEvent(type, info.stateKey);
      if (sameContent(stored?.content, info.content)) continue;
      try {
        sent.push(await this.deps.puppets.bot.setState(roomId, type, info.stateKey, info.content));
      } catch (err) {
        if (!(err instanceof PermissionDenied || (err instanceof MatrixError && err.isForbidden))) throw err;
        this.deps.logger.info({ roomId, channelId: channel.id, reason: err.message }, 'the bot may not set the bridge info here; the portal goes without it');
        return sent;
      }
    }
    if (sent.length > 0) this.deps.logger.info({ roomId, channelId: channel.id, stateKey: info.stateKey }, 'bridge info updated');
    return sent;
  }

  /**
   * The room is no longer bridged to the channel: both events are emptied (state cannot be
   * deleted; an empty content is how a state event is withdrawn), so clients stop showing
   * the bridge. Returns the event ids sent.
   */
  async clear(roomId: string, channelId: string): Promise<string[]> {
    const room = await this.deps.mirror.room(roomId);
    const info = await this.build(await this.remembered(channelId, room?.name), undefined);
    if (info === undefined) return [];
    const sent: string[] = [];
    for (const type of BRIDGE_INFO_TYPES) {
      const stored = await room?.stateEvent(type, info.stateKey);
      if (stored !== undefined && Object.keys(stored.content).length === 0) continue;
      try {
        sent.push(await this.deps.puppets.bot.setState(roomId, type, info.stateKey, {}));
      } catch (err) {
        if (!(err instanceof PermissionDenied || (err instanceof MatrixError && err.isForbidden))) throw err;
        this.deps.logger.info({ roomId, channelId, reason: err.message }, 'the bot may not withdraw the bridge info here');
        return sent;
      }
    }
    return sent;
  }

  /** The channel as remembered (for portals of an earlier run: the sweep at start). */
  async remembered(channelId: string, roomName: string | undefined): Promise<RemoteChannel> {
    const record = await this.deps.records.channel(channelId);
    const name = record.name ?? roomName;
    return { id: channelId, ...(name !== undefined ? { name } : {}), ...(record.externalUrl !== undefined ? { externalUrl: record.externalUrl } : {}) };
  }

  /** Fills what `channel` leaves out from the record, remembers the result, and builds the event. */
  private async build(channel: RemoteChannel, avatarMxc: string | undefined, creator?: string): Promise<PortalInfo | undefined> {
    // Remembered even without bridge info: a later version of the plugin may declare some.
    const record = await this.deps.records.channel(channel.id);
    const merged: RemoteChannel = {
      ...channel,
      ...(channel.name === undefined && record.name !== undefined ? { name: record.name } : {}),
      ...(channel.externalUrl === undefined && record.externalUrl !== undefined ? { externalUrl: record.externalUrl } : {}),
    };
    const update: ChannelRecord = {
      ...record,
      ...(merged.name !== undefined ? { name: merged.name } : {}),
      ...(merged.externalUrl !== undefined ? { externalUrl: merged.externalUrl } : {}),
      ...(creator !== undefined ? { creator } : {}),
    };
    if (update.name !== record.name || update.externalUrl !== record.externalUrl || update.creator !== record.creator) {
      await this.deps.records.setChannel(channel.id, update);
    }
    const { info } = this.deps;
    if (info === undefined) return undefined;
    const who = creator ?? record.creator;
    return portalInfo(info, this.deps.pluginName, this.deps.puppets.bot.userId, {
      channel: merged, ...(avatarMxc !== undefined ? { avatarMxc } : {}), ...(who !== undefined ? { creator: who } : {}),
    });
  }
}
