import type { JsonObject } from '../events/types.js';
import type { AuthState, Membership, StateEntry } from './auth/types.js';
import type { RoomEntry } from './mirror-store.js';
import { roomVersionOf } from './versions.js';

/** Thrown when the engine asks about a user whose membership was not loaded beforehand. */
export class MembershipNotLoaded extends Error {
  constructor(readonly userId: string) {
    super(`membership of ${userId} was not loaded before the question was asked`);
    this.name = 'MembershipNotLoaded';
  }
}

/**
 * An AuthState over a cached room and the memberships of the users a question is about
 * (loaded from disk first, so that the engine can stay synchronous). Undefined when the
 * mirror does not have the room's create event.
 */
export function entryAuthState(
  entry: RoomEntry,
  memberships: ReadonlyMap<string, Membership | undefined>,
  stateEntries: ReadonlyMap<string, StateEntry> = new Map(),
): AuthState | undefined {
  const create = entry.summary.get('m.room.create');
  if (!create) return undefined;
  const content = (type: string): JsonObject | undefined => entry.summary.get(type)?.content;
  return {
    roomVersion: roomVersionOf(create.content),
    create,
    powerLevels: content('m.room.power_levels'),
    joinRules: content('m.room.join_rules'),
    onlyCreateEvent: entry.record.stateCount === 1,
    membershipOf(userId: string): Membership | undefined {
      if (!memberships.has(userId)) throw new MembershipNotLoaded(userId);
      return memberships.get(userId);
    },
    stateEntry(type: string, stateKey: string): StateEntry | undefined {
      return stateEntries.get(`${type}\u0000${stateKey}`);
    },
  };
}
