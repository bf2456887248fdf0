import { roomVersionRules, type RoomVersionRules } from '../versions.js';
import { creatorsOf } from './creators.js';
import { resolvePowerLevels, type PowerLevels } from './levels.js';
import type { AuthState } from './types.js';

/** What every question about one room needs, computed once per question. */
export interface RoomAuth {
  readonly state: AuthState;
  readonly rules: RoomVersionRules;
  readonly creators: readonly string[];
  readonly pl: PowerLevels;
}

export function roomAuth(state: AuthState): RoomAuth {
  const rules = roomVersionRules(state.roomVersion);
  return { state, rules, creators: creatorsOf(state.create, rules), pl: resolvePowerLevels(state.powerLevels, rules) };
}

/**
 * A user's power level. v12 creators: infinite, whatever m.room.power_levels says.
 * No power-levels event: creator 100, everyone else 0. Otherwise `users[user]`,
 * else `users_default`.
 */
export function powerLevelIn(auth: RoomAuth, userId: string): number {
  if (auth.rules.privilegedCreators && auth.creators.includes(userId)) return Number.POSITIVE_INFINITY;
  if (!auth.pl.present) return auth.creators.includes(userId) ? 100 : 0;
  return auth.pl.users.get(userId) ?? auth.pl.levels.users_default;
}

export function powerLevel(state: AuthState, userId: string): number {
  return powerLevelIn(roomAuth(state), userId);
}

/** The effective membership for the rules: no member event reads as `leave`. */
export function membershipIn(auth: RoomAuth, userId: string): string {
  return auth.state.membershipOf(userId) ?? 'leave';
}

export function isCreator(state: AuthState, userId: string): boolean {
  return roomAuth(state).creators.includes(userId);
}
