import { MatrixError, type HomeserverApi } from '../../homeserver/index.js';
import type { Logger } from '../../log/logger.js';
import { loggableUrl } from '../../log/urls.js';
import type { Mirror } from '../../mirror/index.js';
import type { Puppets } from '../../puppets/index.js';
import type { GhostIds } from '../ghost-ids.js';
import type { Mappings } from '../mappings.js';
import type { RemoteChannel } from '../remote-events.js';
import type { BridgeInfoKeeper } from '../bridge-info/keeper.js';
import type { ImageSource } from './media-source.js';
import type { RemoteRecords } from './records.js';
import type { Store } from '../../store/index.js';

export interface PortalsDeps {
  readonly puppets: Puppets;
  /** Directory (resolving our own alias after a crash) and media upload (channel avatars). */
  readonly api: Pick<HomeserverApi, 'directory' | 'media'>;
  readonly mirror: Pick<Mirror, 'room'>;
  readonly mappings: Mappings;
  readonly ghosts: GhostIds;
  readonly records: RemoteRecords;
  /** Downloads remote avatars (through the guarded fetcher). */
  readonly images: ImageSource;
  readonly logger: Logger;
  /** Create new portals with `m.room.encryption` (Megolm) in their initial state. */
  readonly encryptNewPortals?: boolean;
  /** The portals' `m.bridge` events. */
  readonly bridgeInfo: BridgeInfoKeeper;
  /** Where a channel's portal is created once among every process on the store (`Store.withLock`). */
  readonly locks?: Pick<Store, 'withLock'>;
}

export interface EnsurePortalOptions {
  /** Default `private_chat` (invite only); `public_chat` for rooms people join by alias. */
  readonly preset?: 'private_chat' | 'public_chat';
  /** The Matrix user who asked for the portal (the bridge info's `creator`). */
  readonly creator?: string;
}

/**
 * Portal rooms: one per remote channel, created by the bot on first use with the channel's
 * name, topic, avatar and alias, then linked in the mappings. Concurrent first uses of
 * one channel share one creation; in cluster mode a creation holds the channel's lock, so
 * a process that waited for it finds the portal another one made.
 */
export class Portals {
  private readonly creating = new Map<string, Promise<string>>();

  constructor(private readonly deps: PortalsDeps) {}

  /** The portal of `channel`, created (and linked) when it has none yet. */
  async ensure(channel: RemoteChannel, options: EnsurePortalOptions = {}): Promise<string> {
    const existing = await this.deps.mappings.roomForChannel(channel.id);
    if (existing !== undefined) return existing;
    let creation = this.creating.get(channel.id);
    if (!creation) {
      creation = this.createOnce(channel, options).finally(() => this.creating.delete(channel.id));
      this.creating.set(channel.id, creation);
    }
    return creation;
  }

  /**
   * Brings the portal's name, topic and avatar in line with `channel`, as `actor` (a ghost
   * allowed to) or the bot. Only what differs from the mirror is sent.
   */
  async update(roomId: string, channel: RemoteChannel, actor?: string): Promise<string[]> {
    const room = await this.deps.mirror.room(roomId);
    const changes: Array<{ type: string; content: Record<string, unknown> }> = [];
    if (channel.name !== undefined && room?.name !== channel.name) changes.push({ type: 'm.room.name', content: { name: channel.name } });
    if (channel.topic !== undefined && room?.topic !== channel.topic) changes.push({ type: 'm.room.topic', content: { topic: channel.topic } });
    if (channel.avatarUrl !== undefined) {
      const url = await this.avatar(channel);
      if (url !== undefined && room?.avatarUrl !== url) changes.push({ type: 'm.room.avatar', content: { url } });
    }
    const eventIds: string[] = [];
    let avatarMxc: string | undefined;
    for (const change of changes) {
      if (change.type === 'm.room.avatar') avatarMxc = change.content['url'] as string;
      const allowed = actor !== undefined && room !== undefined && (await room.canSendState(actor, change.type, '', change.content)).allowed;
      const puppet = allowed && actor !== undefined ? this.deps.puppets.get(actor) : this.deps.puppets.bot;
      eventIds.push(await puppet.setState(roomId, change.type, '', change.content));
    }
    if (changes.length > 0) this.deps.logger.info({ roomId, channelId: channel.id, changed: changes.map((c) => c.type) }, 'portal info updated');
    eventIds.push(...await this.deps.bridgeInfo.ensure(roomId, channel, avatarMxc));
    return eventIds;
  }

  private createOnce(channel: RemoteChannel, options: EnsurePortalOptions): Promise<string> {
    if (!this.deps.locks) return this.create(channel, options);
    return this.deps.locks.withLock(`portal:${channel.id}`, async () => {
      return await this.deps.mappings.roomForChannel(channel.id) ?? this.create(channel, options);
    });
  }

  private async create(channel: RemoteChannel, options: EnsurePortalOptions): Promise<string> {
    const alias = this.deps.ghosts.alias(channel.id);
    const avatar = channel.avatarUrl === undefined ? undefined : await this.avatar(channel);
    const initialState = [
      ...(this.deps.encryptNewPortals ? [{ type: 'm.room.encryption', content: { algorithm: 'm.megolm.v1.aes-sha2' } }] : []),
      ...await this.deps.bridgeInfo.initialState(channel, avatar, options.creator),
    ];
    let roomId: string;
    try {
      roomId = await this.deps.puppets.bot.createRoom({
        alias,
        preset: channel.isDirect ? 'trusted_private_chat' : options.preset ?? (channel.public ? 'public_chat' : 'private_chat'),
        ...(channel.name !== undefined ? { name: channel.name } : {}),
        ...(channel.topic !== undefined ? { topic: channel.topic } : {}),
        ...(avatar !== undefined ? { avatar } : {}),
        ...(channel.invite !== undefined && channel.invite.length > 0 ? { invite: channel.invite } : {}),
        ...(channel.isDirect ? { isDirect: true } : {}),
        ...(initialState.length > 0 ? { initialState } : {}),
      });
    } catch (err) {
      // The alias is taken: an earlier run created the room and stopped before linking it.
      if (!(err instanceof MatrixError && err.errcode === 'M_ROOM_IN_USE')) throw err;
      const resolved = await this.deps.api.directory.resolveAlias(alias);
      if (!resolved) throw err;
      this.deps.logger.warn({ roomId: resolved.roomId, alias, channelId: channel.id }, 'portal alias already existed; linking its room');
      roomId = resolved.roomId;
    }
    await this.deps.mappings.linkChannel(channel.id, roomId);
    this.deps.logger.info({ roomId, alias, channelId: channel.id }, 'portal created');
    return roomId;
  }

  /** The channel avatar's mxc URI; a remote URL is downloaded and uploaded only when it changed. Failures are logged, not fatal. */
  private async avatar(channel: RemoteChannel): Promise<string | undefined> {
    const source = channel.avatarUrl;
    if (source === undefined) return undefined;
    const record = await this.deps.records.channel(channel.id);
    if (record.avatarSource === source && record.avatarMxc !== undefined) return record.avatarMxc;
    try {
      const image = await this.deps.images(source);
      const mxc = typeof image === 'string'
        ? image
        : await this.deps.api.media.upload(image.data, image.contentType, image.filename !== undefined ? { filename: image.filename } : {});
      await this.deps.records.setChannel(channel.id, { ...await this.deps.records.channel(channel.id), avatarSource: source, avatarMxc: mxc });
      return mxc;
    } catch (err) {
      this.deps.logger.warn({ err, channelId: channel.id, avatarUrl: loggableUrl(source) }, 'could not fetch the channel avatar; leaving it out');
      return undefined;
    }
  }
}
