import { Sections } from '../store/layout.js';
import type { Membership } from './auth/types.js';

/**
 * The mirror's sections of the store and how their keys are made.
 *
 * - rooms  (`mirror.rooms`):  roomId → RoomRecord (hydration flag, member counts).
 * - state  (`mirror.state`):  `<roomId>\0<type>\0<stateKey>` → the current state event.
 * - events (`mirror.events`): `<roomId>\0<eventId>` → [type, stateKey] of every state event
 *   fetched, and of every applied state event once a later one replaced it (written with
 *   the replacing event, in the same batch). So a redelivered event is recognised (it is
 *   the current event at its key, or in the index), and a redaction finds its target (in
 *   the index, or among the current state: see `StateKeys`, `findStateEvent` in `apply.ts`), with one
 *   write per new state key instead of two. For a fetched state it is written in the
 *   background. Stores written before kept every applied event here: read the same way.
 *
 * Room IDs never contain NUL, so `<roomId>\0` … `<roomId>\x01` bounds one room's keys.
 */
export const MirrorSections = {
  rooms: Sections.mirrorRooms,
  state: Sections.mirrorState,
  events: 'mirror.events',
} as const;

const SEP = '\u0000';
const END = '\u0001';

export function stateKeyOf(roomId: string, type: string, stateKey: string): string {
  return roomId + SEP + type + SEP + stateKey;
}

export function eventKeyOf(roomId: string, eventId: string): string {
  return roomId + SEP + eventId;
}

/** Range bounds for every key of a room, or of one event type in a room. */
export function roomRange(roomId: string, type?: string): { gte: string; lt: string } {
  const prefix = type === undefined ? roomId + SEP : roomId + SEP + type + SEP;
  return { gte: prefix, lt: prefix.slice(0, -1) + END };
}

/** Splits a state key back into type and state key. */
export function parseStateKey(key: string): { type: string; stateKey: string } {
  const first = key.indexOf(SEP);
  const second = key.indexOf(SEP, first + 1);
  return { type: key.slice(first + 1, second), stateKey: key.slice(second + 1) };
}

/** What is kept per room besides its state events. */
export interface RoomRecord {
  /** Whether the full state was fetched from the homeserver (or the room was seen from its creation). */
  readonly hydrated: boolean;
  /** Number of state events in the mirror for this room. */
  readonly stateCount: number;
  readonly counts: Readonly<Record<Membership, number>>;
  /**
   * False while the event index of a freshly fetched state is still being written in
   * the background (the room is usable meanwhile; redactions wait for it).
   */
  readonly indexed?: boolean;
  /**
   * Written as false when the room's state changes while it is in memory: the counts on
   * disk may then lag behind the state, and are counted again from it when the room is
   * next read from disk (after a crash). The exact record is written when the room leaves
   * the cache and when the mirror closes. Absent: the counts are exact.
   */
  readonly exact?: false;
}

export function emptyRecord(hydrated: boolean): RoomRecord {
  return { hydrated, stateCount: 0, counts: { join: 0, invite: 0, leave: 0, ban: 0, knock: 0 } };
}

/**
 * The state types every question about a room needs, kept in memory per cached room.
 * Everything else (members, custom state) stays on disk.
 */
export const SUMMARY_TYPES = [
  'm.room.create', 'm.room.power_levels', 'm.room.join_rules', 'm.room.history_visibility',
  'm.room.name', 'm.room.topic', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption',
  'm.room.tombstone', 'm.room.guest_access',
] as const;

export function isSummaryState(type: string, stateKey: string): boolean {
  return stateKey === '' && (SUMMARY_TYPES as readonly string[]).includes(type);
}
