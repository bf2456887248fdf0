import type { JsonObject } from '../../events/types.js';
import { powerLevelIn, roomAuth, type RoomAuth } from './power.js';
import { authRule } from './rule-refs.js';
import type { AuthState, Verdict } from './types.js';
import { ALLOWED, deny, formatLevel } from './verdict.js';

/** The current power levels with `target` set to `level`; with none yet, the implicit creator 100 is kept. */
export function userLevelContent(auth: RoomAuth, target: string, level: number): JsonObject {
  const current = auth.state.powerLevels;
  const users: JsonObject = {};
  const existing = current?.['users'];
  if (existing && typeof existing === 'object' && !Array.isArray(existing)) Object.assign(users, existing);
  else if (!current && !auth.rules.privilegedCreators) for (const creator of auth.creators) users[creator] = 100;
  users[target] = level;
  return { ...(current ?? {}), users };
}

/**
 * Does `sender` rank high enough to set `target`'s power level to `level`? The rule the
 * homeserver applies to each changed `users` entry of m.room.power_levels: the new level is
 * at most the sender's, and unless it is their own entry, the target's current level is
 * below the sender's. bridgekit reads the target's current level from `users_default` too
 * when they are not listed (the auth rules look only at listed entries), so a command acting
 * for someone never lowers a user that person does not outrank. Whether the sender may send
 * m.room.power_levels at all is `canChangePowerLevels`: a command that acts through the bot
 * (the bot sends the event) needs only this question answered for the person it acts for.
 */
export function canSetUserLevel(state: AuthState, sender: string, target: string, level: number): Verdict {
  const auth = roomAuth(state);
  if (auth.rules.privilegedCreators && auth.creators.includes(target)) {
    return deny(authRule(auth.rules, 'pl.creators'), `${target} created the room: their power is infinite and cannot be changed`);
  }
  const senderLevel = powerLevelIn(auth, sender);
  const current = powerLevelIn(auth, target);
  if (target !== sender && current !== level && current >= senderLevel) {
    return deny(authRule(auth.rules, 'pl.usersCurrent'),
      `${sender} (${formatLevel(senderLevel)}) cannot change the level of ${target}, who is at ${formatLevel(current)}: only users below you can be changed`,
      current + 1, senderLevel);
  }
  if (level > senderLevel) {
    return deny(authRule(auth.rules, 'pl.usersNew'),
      `${sender} (${formatLevel(senderLevel)}) cannot grant ${target} power level ${formatLevel(level)}, above their own`,
      level, senderLevel);
  }
  return ALLOWED;
}
