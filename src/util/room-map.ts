import { SOLE_OWNER, type RoomOwnership } from '../cluster/room-caches.js';

export interface RoomMapSource<V> {
  /** Every stored entry, read once on first use. */
  all(): AsyncIterable<readonly [roomId: string, value: V]>;
  /** One room's stored value. */
  one(roomId: string): Promise<V | undefined>;
}

/**
 * A per-room value kept in the store and, for the rooms this process holds, in memory:
 * loaded whole on first use (asked for every message, so no read per question), then kept
 * up to date by the owner's own writes (`set`). A room whose lease moved (`forget`) is
 * read from the store again on its next question; a room not held is always read from
 * the store and never kept (another process writes it).
 */
export class RoomMap<V> {
  private loaded: Promise<Map<string, V>> | undefined;
  /** The same map once it is read: `peek` answers from it without an async call. */
  private ready: Map<string, V> | undefined;
  /** Rooms forgotten since the map was loaded, with the forget's number: their next question reads the store. */
  private readonly stale = new Map<string, number>();
  private forgets = 0;

  constructor(private readonly source: RoomMapSource<V>, private readonly ownership: RoomOwnership = SOLE_OWNER) {}

  async get(roomId: string): Promise<V | undefined> {
    if (!this.ownership.holds(roomId)) return this.source.one(roomId);
    const map = await this.map();
    const mark = this.stale.get(roomId);
    if (mark === undefined) return map.get(roomId);
    const value = await this.source.one(roomId);
    // Fresh unless forgotten again meanwhile (a failed read leaves the room stale).
    if (this.stale.get(roomId) === mark) {
      this.stale.delete(roomId);
      this.remember(map, roomId, value);
    }
    return value;
  }

  /**
   * The room's value from memory, without an async call: `{ value }` (value undefined: the
   * room has none), or undefined when memory cannot say (not read yet, forgotten, not held).
   */
  peek(roomId: string): { readonly value: V | undefined } | undefined {
    if (!this.ready || this.stale.has(roomId) || !this.ownership.holds(roomId)) return undefined;
    return { value: this.ready.get(roomId) };
  }

  /** After the store was written: what memory holds of the room (undefined: none). */
  async set(roomId: string, value: V | undefined): Promise<void> {
    this.remember(await this.map(), roomId, value);
  }

  /** The room's lease moved: its next question reads the store. */
  forget(roomId: string): void {
    this.stale.set(roomId, ++this.forgets);
  }

  /** Fenced out: everything is read from the store again. */
  forgetAll(): void {
    this.loaded = undefined;
    this.ready = undefined;
    this.stale.clear();
  }

  private remember(map: Map<string, V>, roomId: string, value: V | undefined): void {
    if (value === undefined || !this.ownership.holds(roomId)) map.delete(roomId);
    else map.set(roomId, value);
  }

  private map(): Promise<Map<string, V>> {
    if (!this.loaded) {
      const loading = this.load();
      this.loaded = loading;
      loading.then((map) => { if (this.loaded === loading) this.ready = map; }, () => undefined);
      // A failed read is not kept: the next call reads again.
      loading.catch(() => { if (this.loaded === loading) this.loaded = undefined; });
    }
    return this.loaded;
  }

  private async load(): Promise<Map<string, V>> {
    // Read after every forget so far: those are not stale (a forget during the read still is).
    this.stale.clear();
    const map = new Map<string, V>();
    for await (const [roomId, value] of this.source.all()) if (this.ownership.holds(roomId)) map.set(roomId, value);
    return map;
  }
}
