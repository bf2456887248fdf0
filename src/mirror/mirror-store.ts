import type { RoomEvent } from '../events/types.js';
import type { Section, Store } from '../store/store.js';
import { isMembership, type Membership } from './auth/types.js';
import type { StateKeys } from './state-keys.js';
import { WriteBehind } from './write-behind.js';
import {
  MirrorSections, SUMMARY_TYPES, emptyRecord, eventKeyOf, roomRange, stateKeyOf, type RoomRecord,
} from './layout.js';

/** Where a state event sits: [type, stateKey]. */
export type EventLocation = readonly [string, string];

/** A room as held in memory: its record and its summary state events (create, power levels, …). */
export interface RoomEntry {
  readonly roomId: string;
  readonly record: RoomRecord;
  /** Summary-type state events by type (state key ""). */
  readonly summary: ReadonlyMap<string, RoomEvent>;
  /** For a room this process saw whole: which state keys are stored (see StateKeys); else unknown. */
  readonly stateKeys?: StateKeys;
}

/**
 * The mirror's typed access to its sections of the Level store. Its own writes are staged
 * (see WriteBehind); a read of a staged key waits for its write. Bulk writes of a fetched state go to the store
 * directly, after what is staged is on disk.
 */
export class MirrorStore {
  readonly rooms: Section<RoomRecord>;
  readonly state: Section<RoomEvent>;
  readonly events: Section<EventLocation>;
  private readonly staged: WriteBehind;
  /** Rooms whose record on disk is marked not exact (see RoomRecord.exact): their counts are not written per event. */
  private readonly lagging = new Set<string>();

  constructor(readonly store: Store) {
    this.rooms = store.section<RoomRecord>(MirrorSections.rooms);
    this.state = store.section<RoomEvent>(MirrorSections.state);
    this.events = store.section<EventLocation>(MirrorSections.events);
    this.staged = new WriteBehind(store);
  }

  /**
   * Reads a room's record and summary state; undefined when the mirror has never seen the
   * room. A record whose counts may lag is counted again; the exact record is staged only
   * with `persist` (a room another process holds is not written: see Mirror's ownership).
   */
  async loadRoom(roomId: string, { persist = true }: { readonly persist?: boolean } = {}): Promise<RoomEntry | undefined> {
    let record = await this.read(this.rooms, roomId);
    if (record === undefined) return undefined;
    if (record.exact === false) record = await this.recount(roomId, record, persist);
    const keys = SUMMARY_TYPES.map((type) => stateKeyOf(roomId, type, ''));
    const values = await this.readMany(this.state, keys);
    const summary = new Map<string, RoomEvent>();
    values.forEach((event, i) => {
      const type = SUMMARY_TYPES[i];
      if (event !== undefined && type !== undefined) summary.set(type, event);
    });
    return { roomId, record, summary };
  }

  /**
   * Whether any state event of the room is stored (one step of an iterator). The disk
   * alone answers: staged state always comes with a staged record, and this is asked only
   * of rooms without one.
   */
  async hasState(roomId: string): Promise<boolean> {
    for await (const _ of this.state.keys({ ...roomRange(roomId), limit: 1 })) return true;
    return false;
  }

  getState(roomId: string, type: string, stateKey: string): Promise<RoomEvent | undefined> {
    return this.read(this.state, stateKeyOf(roomId, type, stateKey));
  }

  getStates(roomId: string, type: string, stateKeys: readonly string[]): Promise<(RoomEvent | undefined)[]> {
    return this.readMany(this.state, stateKeys.map((k) => stateKeyOf(roomId, type, k)));
  }

  eventLocation(roomId: string, eventId: string): Promise<EventLocation | undefined> {
    return this.read(this.events, eventKeyOf(roomId, eventId));
  }

  /** A room's state events (of one type, when given), streamed from disk in key order. */
  async *iterateState(roomId: string, type?: string): AsyncGenerator<RoomEvent> {
    await this.settle();
    for await (const value of this.state.values(roomRange(roomId, type))) yield value;
  }

  /**
   * Stages a state event (see WriteBehind) and, when it replaces another (`replaced`), the
   * replaced event's entry in the event index: staged together, they land in one batch.
   */
  putState(roomId: string, event: RoomEvent & { state_key: string }, replaced: RoomEvent | undefined): void {
    this.staged.put(this.state, stateKeyOf(roomId, event.type, event.state_key), event);
    if (replaced !== undefined && replaced.event_id !== event.event_id) {
      this.staged.put(this.events, eventKeyOf(roomId, replaced.event_id), [event.type, event.state_key] as const);
    }
  }

  /** Stages a room's record, exact. */
  putRecord(roomId: string, record: RoomRecord): void {
    this.lagging.delete(roomId);
    this.staged.put(this.rooms, roomId, record);
  }

  /**
   * After a change of the room's counts only: the first time, stages the record marked not
   * exact; after that, nothing until the exact record is written (`putRecord`, when the
   * room leaves the cache or the mirror closes). One write per room instead of one per event.
   */
  putCounts(roomId: string, record: RoomRecord): void {
    if (this.lagging.has(roomId)) return;
    this.lagging.add(roomId);
    this.staged.put(this.rooms, roomId, { ...record, exact: false });
  }

  /** Stages the exact record of a room whose record on disk is marked not exact. */
  settleRecord(entry: RoomEntry): void {
    if (this.lagging.has(entry.roomId)) this.putRecord(entry.roomId, entry.record);
  }

  /** Resolves once every staged write is on disk. */
  async settle(): Promise<void> {
    if (this.staged.busy) await this.staged.settle();
  }

  /** Writes what is staged; the mirror writes no more through this. */
  close(): Promise<void> {
    return this.staged.close();
  }

  /**
   * Forgets what this process knows of a room's record beyond the disk (its lease moved):
   * its record on disk stays marked not exact, so whoever reads it next counts again.
   * Staged writes of the room are written as usual, unless `discardPending`.
   */
  forgetRoom(roomId: string, discardPending: boolean): number {
    this.lagging.delete(roomId);
    if (!discardPending) return 0;
    const prefix = roomRange(roomId).gte;
    return this.staged.discard((op) => op.section === this.rooms ? op.key === roomId : op.key.startsWith(prefix));
  }

  /** The same for every room, and every staged write is dropped unwritten (the process was fenced out). */
  forgetAll(): number {
    this.lagging.clear();
    return this.staged.discard();
  }

  /** Removes everything the mirror holds about a room. */
  deleteRoom(roomId: string): Promise<void> {
    return this.clearRoomState(roomId);
  }

  /**
   * Removes a room's record, state events and event index (before a full refetch); what was
   * staged is written first. `recordOnDisk: false`: the caller read no record (nothing
   * staged either), so there is none to delete.
   */
  async clearRoomState(roomId: string, { recordOnDisk = true }: { readonly recordOnDisk?: boolean } = {}): Promise<void> {
    this.lagging.delete(roomId);
    await this.settle();
    if (recordOnDisk) await this.rooms.del(roomId);
    await this.state.clear(roomRange(roomId));
    await this.events.clear(roomRange(roomId));
  }

  /** Counts a room's state on disk again, for a record whose counts may lag (after a crash), and stages the result when `persist`. */
  private async recount(roomId: string, record: RoomRecord, persist: boolean): Promise<RoomRecord> {
    await this.settle();
    const counts = { ...emptyRecord(true).counts };
    let stateCount = 0;
    for await (const event of this.state.values(roomRange(roomId))) {
      stateCount++;
      const membership = membershipOfEvent(event);
      if (membership !== undefined) counts[membership] += 1;
    }
    const { exact: _lagging, ...rest } = record;
    const exact: RoomRecord = { ...rest, stateCount, counts };
    if (persist) this.putRecord(roomId, exact);
    return exact;
  }

  /** A point read from disk, after the key's staged write if it has one. */
  private async read<V>(section: Section<V>, key: string): Promise<V | undefined> {
    if (this.staged.busy && this.staged.holds(section as Section<unknown>, key)) await this.staged.settle();
    return section.get(key);
  }

  private async readMany<V>(section: Section<V>, keys: readonly string[]): Promise<(V | undefined)[]> {
    if (this.staged.busy && keys.some((key) => this.staged.holds(section as Section<unknown>, key))) await this.staged.settle();
    return section.getMany(keys as string[]);
  }
}

/** The membership an m.room.member event sets, if it is one the spec knows. */
export function membershipOfEvent(event: RoomEvent | undefined): Membership | undefined {
  if (event === undefined || event.type !== 'm.room.member') return undefined;
  const membership = event.content['membership'];
  return isMembership(membership) ? membership : undefined;
}

/** Counts after one member's membership went from `before` to `after`. */
export function shiftCounts(
  counts: Readonly<Record<Membership, number>>, before: Membership | undefined, after: Membership | undefined,
): Record<Membership, number> {
  const next = { ...counts };
  if (before === after) return next;
  if (before !== undefined) next[before] = Math.max(0, next[before] - 1);
  if (after !== undefined) next[after] += 1;
  return next;
}

/**
 * The event as stored: `age` fields are dropped, as they are relative to the moment
 * of delivery and wrong ever after. Everything else is kept verbatim.
 */
export function toStored<E extends RoomEvent>(event: E): E {
  const raw = event as unknown as Record<string, unknown>;
  const hasAge = raw['age'] !== undefined;
  const unsignedAge = event.unsigned?.['age'] !== undefined;
  if (!hasAge && !unsignedAge) return event;
  // Rest copies, not `delete`: a deleted property turns an object into a slow dictionary,
  // and stored events stay in the room cache.
  const { age: _age, ...copy } = raw;
  if (unsignedAge && event.unsigned) {
    const { age: _unsignedAge, ...unsigned } = event.unsigned;
    copy['unsigned'] = unsigned;
  }
  return copy as unknown as E;
}
