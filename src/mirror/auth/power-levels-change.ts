import type { JsonObject } from '../../events/types.js';
import { isObject } from '../../events/validate.js';
import { isUserId } from './creators.js';
import { LEVEL_KEYS, parseLevel } from './levels.js';
import { powerLevelIn, type RoomAuth } from './power.js';
import { authRule, type AuthRuleName } from './rule-refs.js';
import type { Verdict } from './types.js';
import { ALLOWED, deny, formatLevel } from './verdict.js';

/**
 * The m.room.power_levels sub-rules: may `sender` replace the room's power levels with
 * `next`? The caller has already checked membership and the level to send the event.
 */
export function checkPowerLevelsChange(auth: RoomAuth, sender: string, next: JsonObject): Verdict {
  const invalid = checkShape(auth, next);
  if (invalid) return invalid;
  if (auth.rules.privilegedCreators) {
    const users = next['users'];
    const listed = isObject(users) ? auth.creators.filter((c) => c in users) : [];
    if (listed.length > 0) {
      return deny(authRule(auth.rules, 'pl.creators'),
        `room creators cannot be listed in m.room.power_levels users (${listed.join(', ')}): their power is infinite and fixed`);
    }
  }
  const current = auth.state.powerLevels;
  if (!current) return ALLOWED;
  const senderLevel = powerLevelIn(auth, sender);
  const level = (value: unknown) => parseLevel(value, auth.rules);

  for (const key of LEVEL_KEYS) {
    const before = level(current[key]);
    const after = level(next[key]);
    if (before === after) continue;
    const refusal = checkAlteration(auth, 'pl.topLevel', `"${key}"`, before, after, sender, senderLevel);
    if (refusal) return refusal;
  }
  const nested = auth.rules.notificationsInAuth ? ['events', 'notifications'] : ['events'];
  for (const group of nested) {
    const before = levelEntries(current[group], auth);
    const after = levelEntries(next[group], auth);
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const old = before.get(key);
      const neu = after.get(key);
      if (old === neu) continue;
      if (old !== undefined && old > senderLevel) {
        return deny(authRule(auth.rules, 'pl.nestedCurrent'),
          `changing ${group}["${key}"] (now ${formatLevel(old)}) needs power level ${formatLevel(old)}; ${sender} has ${formatLevel(senderLevel)}`,
          old, senderLevel);
      }
      if (neu !== undefined && neu > senderLevel) {
        return deny(authRule(auth.rules, 'pl.nestedNew'),
          `setting ${group}["${key}"] to ${formatLevel(neu)} needs power level ${formatLevel(neu)}; ${sender} has ${formatLevel(senderLevel)}`,
          neu, senderLevel);
      }
    }
  }
  const usersBefore = levelEntries(current['users'], auth);
  const usersAfter = levelEntries(next['users'], auth);
  for (const user of new Set([...usersBefore.keys(), ...usersAfter.keys()])) {
    const old = usersBefore.get(user);
    const neu = usersAfter.get(user);
    if (old === neu) continue;
    if (user !== sender && old !== undefined && old >= senderLevel) {
      return deny(authRule(auth.rules, 'pl.usersCurrent'),
        `${sender} (${formatLevel(senderLevel)}) cannot change the level of ${user}, who is at ${formatLevel(old)}: only users below you can be changed`,
        old + 1, senderLevel);
    }
    if (neu !== undefined && neu > senderLevel) {
      return deny(authRule(auth.rules, 'pl.usersNew'),
        `${sender} (${formatLevel(senderLevel)}) cannot grant ${user} power level ${formatLevel(neu)}, above their own`,
        neu, senderLevel);
    }
  }
  return ALLOWED;
}

function checkAlteration(
  auth: RoomAuth, rule: AuthRuleName, what: string,
  before: number | undefined, after: number | undefined, sender: string, senderLevel: number,
): Verdict | undefined {
  if (before !== undefined && before > senderLevel) {
    return deny(authRule(auth.rules, rule),
      `changing ${what} (now ${formatLevel(before)}) needs power level ${formatLevel(before)}; ${sender} has ${formatLevel(senderLevel)}`,
      before, senderLevel);
  }
  if (after !== undefined && after > senderLevel) {
    return deny(authRule(auth.rules, rule),
      `setting ${what} to ${formatLevel(after)} needs power level ${formatLevel(after)}; ${sender} has ${formatLevel(senderLevel)}`,
      after, senderLevel);
  }
  return undefined;
}

function levelEntries(value: unknown, auth: RoomAuth): Map<string, number> {
  const out = new Map<string, number>();
  if (!isObject(value)) return out;
  for (const [key, raw] of Object.entries(value)) {
    const level = parseLevel(raw, auth.rules);
    if (level !== undefined) out.set(key, level);
  }
  return out;
}

/**
 * Value checks: v10+ spell them out (rules 1–3); v1–v9 only require valid `users`, but
 * Synapse rejects any value it cannot read as a level in every version, and so do we.
 */
function checkShape(auth: RoomAuth, next: JsonObject): Verdict | undefined {
  const strict = auth.rules.integerPowerLevels;
  const topRule: AuthRuleName = strict ? 'pl.topLevelIntegers' : 'pl.users';
  const nestedRule: AuthRuleName = strict ? 'pl.nestedIntegers' : 'pl.users';
  const expected = strict ? 'an integer' : auth.rules.floatPowerLevels ? 'a number or integer string' : 'an integer or integer string';
  for (const key of LEVEL_KEYS) {
    if (next[key] !== undefined && parseLevel(next[key], auth.rules) === undefined) {
      return deny(authRule(auth.rules, topRule), `power level "${key}" must be ${expected}`);
    }
  }
  const nestedGroups = auth.rules.notificationsInAuth ? ['events', 'notifications'] : ['events'];
  for (const group of nestedGroups) {
    const value = next[group];
    if (value === undefined) continue;
    if (!isObject(value)) return deny(authRule(auth.rules, nestedRule), `"${group}" must be an object of levels`);
    for (const [key, raw] of Object.entries(value)) {
      if (parseLevel(raw, auth.rules) === undefined) {
        return deny(authRule(auth.rules, nestedRule), `${group}["${key}"] must be ${expected}`);
      }
    }
  }
  const users = next['users'];
  if (users === undefined) return undefined;
  if (!isObject(users)) return deny(authRule(auth.rules, 'pl.users'), '"users" must be an object of user IDs to levels');
  for (const [user, raw] of Object.entries(users)) {
    if (!isUserId(user)) return deny(authRule(auth.rules, 'pl.users'), `"users" key ${JSON.stringify(user)} is not a user ID`);
    if (parseLevel(raw, auth.rules) === undefined) {
      return deny(authRule(auth.rules, 'pl.users'), `users["${user}"] must be ${expected}`);
    }
  }
  return undefined;
}
