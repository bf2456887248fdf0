import type { JsonObject } from '../events/types.js';
import { isObject } from '../events/validate.js';
import { isMembership, type AuthState, type Membership, type RoomView } from '../mirror/index.js';
import type { PuppetMirror } from './context.js';
import type { UnechoedWrites } from './unechoed.js';

/** A room as the puppets judge it: the mirror's view, with our confirmed but unechoed writes on top. */
export interface JudgedRoom {
  readonly view: RoomView;
  readonly state: AuthState;
}

/**
 * Builds the permission engine's input for one question. Undefined when the mirror cannot
 * judge the room: it has never seen it, or does not hold its full state (not hydrated),
 * where a refusal would only mean "unknown".
 */
export async function judgeRoom(
  mirror: PuppetMirror, unechoed: UnechoedWrites, roomId: string, users: readonly string[],
): Promise<JudgedRoom | undefined> {
  const view = await mirror.room(roomId);
  if (!view || !view.hydrated) return undefined;
  // A room whose creation the mirror is still applying (its create event, not yet its
  // creator's join) has nobody in it who could let anyone in: too early to refuse (so is a room
  // everyone left; the homeserver answers either).
  if (view.joinedCount === 0) return undefined;
  // Our writes are read before the mirror's state: the mirror only moves forward, so a write
  // dropped here as echoed is sure to be in the state read after it.
  const powerLevels = await unechoed.get(view, roomId, 'm.room.power_levels', '');
  const joinRules = await unechoed.get(view, roomId, 'm.room.join_rules', '');
  const wanted = [...new Set(users)];
  const members = new Map<string, Membership>();
  for (const user of wanted) {
    const membership = (await unechoed.get(view, roomId, 'm.room.member', user))?.['membership'];
    if (isMembership(membership)) members.set(user, membership);
  }
  // The engine asks for the membership of everyone named in power levels: load those we added too.
  const listed = powerLevels && isObject(powerLevels['users']) ? Object.keys(powerLevels['users']) : [];
  const base = await view.authState([...wanted, ...listed]);
  if (!base) return undefined;
  return { view, state: overlay(base, members, powerLevels, joinRules) };
}

function overlay(
  base: AuthState, members: ReadonlyMap<string, Membership>, powerLevels: JsonObject | undefined, joinRules: JsonObject | undefined,
): AuthState {
  const state: AuthState = {
    roomVersion: base.roomVersion,
    create: base.create,
    powerLevels: powerLevels ?? base.powerLevels,
    joinRules: joinRules ?? base.joinRules,
    membershipOf: (userId) => (members.has(userId) ? members.get(userId) : base.membershipOf(userId)),
    ...(base.stateEntry ? { stateEntry: (type: string, stateKey: string) => base.stateEntry?.(type, stateKey) } : {}),
    // Our writes happened after the create event, so the room is past its first event.
    ...(base.onlyCreateEvent !== undefined ? { onlyCreateEvent: base.onlyCreateEvent && members.size === 0 } : {}),
  };
  return state;
}
