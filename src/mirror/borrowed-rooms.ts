import type { RoomEvent, StateEvent } from '../events/types.js';
import type { Membership } from './auth/types.js';
import { emptyRecord, isSummaryState, stateKeyOf, type RoomRecord } from './layout.js';
import { membershipOfEvent, type RoomEntry } from './mirror-store.js';
import { StateKeys } from './state-keys.js';
import { Lru } from '../util/lru.js';

/** What a room view reads beyond its summary: the mirror's store, or a state fetched and held in memory. */
export interface RoomStateReader {
  getState(roomId: string, type: string, stateKey: string): Promise<RoomEvent | undefined>;
  getStates(roomId: string, type: string, stateKeys: readonly string[]): Promise<(RoomEvent | undefined)[]>;
  iterateState(roomId: string, type?: string): AsyncGenerator<RoomEvent>;
}

/** One room's fetched state in memory, read like the store (same key order). */
class FetchedState implements RoomStateReader {
  private readonly byKey = new Map<string, StateEvent>();
  private readonly sorted: readonly string[];

  constructor(private readonly roomId: string, events: readonly StateEvent[]) {
    for (const event of events) this.byKey.set(stateKeyOf(roomId, event.type, event.state_key), event);
    this.sorted = [...this.byKey.keys()].sort();
  }

  getState(roomId: string, type: string, stateKey: string): Promise<RoomEvent | undefined> {
    return Promise.resolve(this.read(roomId, type, stateKey));
  }

  getStates(roomId: string, type: string, stateKeys: readonly string[]): Promise<(RoomEvent | undefined)[]> {
    return Promise.resolve(stateKeys.map((stateKey) => this.read(roomId, type, stateKey)));
  }

  async *iterateState(roomId: string, type?: string): AsyncGenerator<RoomEvent> {
    if (roomId !== this.roomId) return;
    for (const key of this.sorted) {
      const event = this.byKey.get(key);
      if (event && (type === undefined || event.type === type)) yield event;
    }
  }

  private read(roomId: string, type: string, stateKey: string): RoomEvent | undefined {
    return roomId === this.roomId ? this.byKey.get(stateKeyOf(roomId, type, stateKey)) : undefined;
  }
}

interface Borrowed {
  readonly entry: RoomEntry;
  readonly fetchedAt: number;
}

export interface BorrowedRoomsOptions {
  /** How many rooms' fetched states are kept (default 32): each is a room's whole state. */
  readonly rooms?: number;
  /** How long a fetched state answers before the store's copy does again (default 30 s). */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/**
 * Fetched states of rooms this process does not hold (several processes on one store,
 * issue #21). The holder alone writes a room's state to the store; a resync asked
 * elsewhere (a remote-side push that joins a puppet, provisioning, a bot command about
 * another room) fetches the room from the homeserver and keeps it here, in memory, so
 * that the question that asked for it is answered on the fresh state while the holder's
 * copy in the store stays untouched. Bounded in rooms and in time: after `ttlMs` the
 * store's copy, kept current by the holder, answers again.
 */
export class BorrowedRooms {
  private readonly rooms: Lru<string, Borrowed>;
  private readonly readers = new WeakMap<RoomEntry, RoomStateReader>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: BorrowedRoomsOptions = {}) {
    this.rooms = new Lru(options.rooms ?? 32);
    this.ttlMs = options.ttlMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** Keeps a fetched state (usable events only) and returns its entry. */
  keep(roomId: string, events: readonly StateEvent[]): RoomEntry {
    const counts: Record<Membership, number> = { ...emptyRecord(true).counts };
    const summary = new Map<string, RoomEvent>();
    for (const event of events) {
      if (event.type === 'm.room.member') {
        const membership = membershipOfEvent(event);
        if (membership !== undefined) counts[membership] += 1;
      }
      if (isSummaryState(event.type, event.state_key)) summary.set(event.type, event);
    }
    const record: RoomRecord = { hydrated: true, stateCount: events.length, counts, indexed: true };
    const entry: RoomEntry = { roomId, record, summary, stateKeys: new StateKeys(events) };
    this.readers.set(entry, new FetchedState(roomId, events));
    this.rooms.set(roomId, { entry, fetchedAt: this.now() });
    return entry;
  }

  /** The room's fetched entry while it is fresh. */
  get(roomId: string): RoomEntry | undefined {
    const borrowed = this.rooms.get(roomId);
    if (!borrowed) return undefined;
    if (this.now() - borrowed.fetchedAt < this.ttlMs) return borrowed.entry;
    this.rooms.delete(roomId);
    return undefined;
  }

  /** Where a view of `entry` reads its state: its fetched state when it is a borrowed entry. */
  readerOf(entry: RoomEntry): RoomStateReader | undefined {
    return this.readers.get(entry);
  }

  /** This process gained the room (the store is its own now) or forgot it. */
  drop(roomId: string): void {
    this.rooms.delete(roomId);
  }

  clear(): void {
    this.rooms.clear();
  }

  get size(): number {
    return this.rooms.size;
  }
}
