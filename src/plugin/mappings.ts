import type { Section } from '../store/index.js';
import type { UnitOfWork } from '../inbox/index.js';

/**
 * Remote ↔ Matrix links, persisted: channel ↔ portal room and remote message ↔ event (for
 * replies, edits, reactions and redactions). Ghost ids need no table: see GhostIds.
 * This is the plugin's view (`ctx.mappings`); each write is durable when it resolves.
 */
export interface Mappings {
  roomForChannel(channelId: string): Promise<string | undefined>;
  channelForRoom(roomId: string): Promise<string | undefined>;
  linkChannel(channelId: string, roomId: string): Promise<void>;
  unlinkChannel(channelId: string): Promise<void>;

  eventForRemote(roomId: string, remoteId: string): Promise<string | undefined>;
  remoteForEvent(eventId: string): Promise<{ roomId: string; remoteId: string } | undefined>;
  linkMessage(roomId: string, remoteId: string, eventId: string): Promise<void>;
}

type Value = string | { roomId: string; remoteId: string };

const key = {
  channel: (channelId: string) => `channel>${channelId}`,
  room: (roomId: string) => `room>${roomId}`,
  remote: (roomId: string, remoteId: string) => `remote>${roomId}\u0000${remoteId}`,
  event: (eventId: string) => `event>${eventId}`,
};

/** The stored mappings; inside bridgekit a write may join a unit of work, to commit with the event being handled. */
export class StoredMappings implements Mappings {
  /** `afterLink` runs once a channel is linked to a room (e.g. to index its members). */
  constructor(private readonly section: Section<Value>, private readonly afterLink?: (roomId: string) => Promise<void>) {}

  private async write(ops: Array<[string, Value | undefined]>, work?: UnitOfWork): Promise<void> {
    for (const [k, v] of ops) {
      if (work) {
        if (v === undefined) work.del(this.section, k);
        else work.put(this.section, k, v);
      } else if (v === undefined) {
        await this.section.del(k);
      } else {
        await this.section.put(k, v);
      }
    }
  }

  async roomForChannel(channelId: string): Promise<string | undefined> {
    return (await this.section.get(key.channel(channelId))) as string | undefined;
  }

  async channelForRoom(roomId: string): Promise<string | undefined> {
    return (await this.section.get(key.room(roomId))) as string | undefined;
  }

  async linkChannel(channelId: string, roomId: string, work?: UnitOfWork): Promise<void> {
    await this.write([[key.channel(channelId), roomId], [key.room(roomId), channelId]], work);
    await this.afterLink?.(roomId);
  }

  /** The channel's portal is now `to` (an upgraded room's replacement); `from` is no one's portal. */
  async moveChannel(channelId: string, from: string, to: string): Promise<void> {
    await this.write([[key.channel(channelId), to], [key.room(to), channelId], [key.room(from), undefined]]);
    await this.afterLink?.(to);
  }

  async unlinkChannel(channelId: string, work?: UnitOfWork): Promise<void> {
    const roomId = await this.roomForChannel(channelId);
    await this.write([[key.channel(channelId), undefined], ...(roomId ? [[key.room(roomId), undefined] as [string, undefined]] : [])], work);
  }

  /** Every linked channel and its room, in channel id order. */
  async *channels(): AsyncGenerator<readonly [channelId: string, roomId: string]> {
    const prefix = 'channel>';
    for await (const [k, v] of this.section.iterator({ gte: prefix, lt: 'channel?' })) {
      if (typeof v === 'string') yield [k.slice(prefix.length), v];
    }
  }

  async eventForRemote(roomId: string, remoteId: string): Promise<string | undefined> {
    return (await this.section.get(key.remote(roomId, remoteId))) as string | undefined;
  }

  async remoteForEvent(eventId: string): Promise<{ roomId: string; remoteId: string } | undefined> {
    return (await this.section.get(key.event(eventId))) as { roomId: string; remoteId: string } | undefined;
  }

  async linkMessage(roomId: string, remoteId: string, eventId: string, work?: UnitOfWork): Promise<void> {
    await this.write([[key.remote(roomId, remoteId), eventId], [key.event(eventId), { roomId, remoteId }]], work);
  }
}

/** What the bridge does when the plugin links or unlinks a room itself (its bridge info). */
export interface LinkListener {
  linked(channelId: string, roomId: string): void;
  unlinked(channelId: string, roomId: string): void;
}

/** The mappings as a plugin sees them: `listener` hears of the links the plugin makes and undoes itself. */
export function pluginFacingMappings(mappings: Mappings, listener: LinkListener): Mappings {
  return {
    roomForChannel: (channelId) => mappings.roomForChannel(channelId),
    channelForRoom: (roomId) => mappings.channelForRoom(roomId),
    async linkChannel(channelId, roomId) {
      await mappings.linkChannel(channelId, roomId);
      listener.linked(channelId, roomId);
    },
    async unlinkChannel(channelId) {
      const roomId = await mappings.roomForChannel(channelId);
      await mappings.unlinkChannel(channelId);
      if (roomId !== undefined) listener.unlinked(channelId, roomId);
    },
    eventForRemote: (roomId, remoteId) => mappings.eventForRemote(roomId, remoteId),
    remoteForEvent: (eventId) => mappings.remoteForEvent(eventId),
    linkMessage: (roomId, remoteId, eventId) => mappings.linkMessage(roomId, remoteId, eventId),
  };
}
