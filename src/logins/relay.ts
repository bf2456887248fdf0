/**
 * Relay mode per portal (docs/relay.md): off by default; turned on or off by the `relay`
 * bot command. While on, the messages of people without a login go out through the
 * plugin's relay account with their name. Stored in `Sections.relay`.
 */
import type { Section } from '../store/index.js';
import { SOLE_OWNER, type RoomOwnership } from '../cluster/room-caches.js';
import { RoomMap } from '../util/room-map.js';

export interface RelaySetting {
  readonly enabledBy: string;
  readonly at: number;
}

const roomKey = (roomId: string) => `room!${roomId}`;
const toldKey = (roomId: string, userId: string) => `told!${roomId}!${userId}`;

/**
 * With several processes (issue #21) only the rooms this one holds are kept in memory,
 * and a room whose lease moved is read from the store again (`forgetRoom`): relay may have
 * been turned on or off, and users told, by the room's other holder.
 */
export class PortalRelays {
  /** Room → setting, for rooms with relay on (asked for every message of a person without login). */
  private readonly rooms: RoomMap<RelaySetting>;
  /** Room → users told, as stored (read through on a miss). */
  private readonly told = new Map<string, Set<string>>();

  constructor(private readonly section: Section<unknown>, private readonly ownership: RoomOwnership = SOLE_OWNER) {
    this.rooms = new RoomMap<RelaySetting>({
      async *all() {
        const prefix = roomKey('');
        for await (const [key, value] of section.iterator({ gte: prefix, lt: `${prefix}\uffff` })) yield [key.slice(prefix.length), value as RelaySetting];
      },
      one: async (roomId) => (await section.get(roomKey(roomId))) as RelaySetting | undefined,
    }, ownership);
  }

  setting(roomId: string): Promise<RelaySetting | undefined> {
    return this.rooms.get(roomId);
  }

  async set(roomId: string, on: boolean, by: string, now = Date.now()): Promise<void> {
    const setting: RelaySetting | undefined = on ? { enabledBy: by, at: now } : undefined;
    if (setting) await this.section.put(roomKey(roomId), setting);
    else await this.section.del(roomKey(roomId));
    await this.rooms.set(roomId, setting);
  }

  /** True the first time for this user in this room (and remembered): whether to tell them their message was not bridged. */
  async firstRefusal(roomId: string, userId: string): Promise<boolean> {
    const key = toldKey(roomId, userId);
    const held = this.ownership.holds(roomId);
    let told = this.told.get(roomId);
    if (told?.has(userId) === true) return false;
    if (held) {
      if (!told) this.told.set(roomId, told = new Set());
      told.add(userId);
    }
    if (await this.section.get(key) !== undefined) return false;
    await this.section.put(key, Date.now());
    return true;
  }

  /** The room's lease moved: its setting and who was told are read from the store again. */
  forgetRoom(roomId: string): void {
    this.rooms.forget(roomId);
    this.told.delete(roomId);
  }

  /** Fenced out of every room: all read again. */
  forgetAll(): void {
    this.rooms.forgetAll();
    this.told.clear();
  }

  /** Forgets that users were told in a room (relay went off again: they are told again once). */
  async forgetRefusals(roomId: string): Promise<void> {
    const prefix = `told!${roomId}!`;
    const keys: string[] = [];
    for await (const [key] of this.section.iterator({ gte: prefix, lt: `${prefix}\uffff` })) keys.push(key);
    await this.section.batch(keys.map((key) => ({ type: 'del' as const, key })));
    this.told.delete(roomId);
  }
}
