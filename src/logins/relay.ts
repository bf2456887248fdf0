/**
 * Relay mode per portal (docs/relay.md): off by default; turned on or off by the `relay`
 * bot command. While on, the messages of people without a login go out through the
 * plugin's relay account with their name. Stored in `Sections.relay`.
 */
import type { Section } from '../store/index.js';

export interface RelaySetting {
  readonly enabledBy: string;
  readonly at: number;
}

const roomKey = (roomId: string) => `room!${roomId}`;
const toldKey = (roomId: string, userId: string) => `told!${roomId}!${userId}`;

export class PortalRelays {
  /** Room → setting, for rooms with relay on; loaded once (asked for every message of a person without login). */
  private loaded: Promise<Map<string, RelaySetting>> | undefined;
  private readonly told = new Set<string>();

  constructor(private readonly section: Section<unknown>) {}

  async setting(roomId: string): Promise<RelaySetting | undefined> {
    return (await this.rooms()).get(roomId);
  }

  async set(roomId: string, on: boolean, by: string, now = Date.now()): Promise<void> {
    const rooms = await this.rooms();
    if (on) {
      const setting: RelaySetting = { enabledBy: by, at: now };
      await this.section.put(roomKey(roomId), setting);
      rooms.set(roomId, setting);
    } else {
      await this.section.del(roomKey(roomId));
      rooms.delete(roomId);
    }
  }

  /** True the first time for this user in this room (and remembered): whether to tell them their message was not bridged. */
  async firstRefusal(roomId: string, userId: string): Promise<boolean> {
    const key = toldKey(roomId, userId);
    if (this.told.has(key)) return false;
    this.told.add(key);
    if (await this.section.get(key) !== undefined) return false;
    await this.section.put(key, Date.now());
    return true;
  }

  /** Forgets that users were told in a room (relay went off again: they are told again once). */
  async forgetRefusals(roomId: string): Promise<void> {
    const prefix = `told!${roomId}!`;
    const keys: string[] = [];
    for await (const [key] of this.section.iterator({ gte: prefix, lt: `${prefix}\uffff` })) keys.push(key);
    await this.section.batch(keys.map((key) => ({ type: 'del' as const, key })));
    for (const key of keys) this.told.delete(key);
  }

  private rooms(): Promise<Map<string, RelaySetting>> {
    if (!this.loaded) {
      this.loaded = (async () => {
        const rooms = new Map<string, RelaySetting>();
        const prefix = roomKey('');
        for await (const [key, value] of this.section.iterator({ gte: prefix, lt: `${prefix}\uffff` })) rooms.set(key.slice(prefix.length), value as RelaySetting);
        return rooms;
      })();
      this.loaded.catch(() => { this.loaded = undefined; });
    }
    return this.loaded;
  }
}
