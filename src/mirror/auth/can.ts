import type { JsonObject } from '../../events/types.js';
import { authorizeEvent, checkOrdinary } from './authorize.js';
import { notificationLevel, sendLevel } from './levels.js';
import { checkMembershipChange } from './membership.js';
import { membershipIn, powerLevelIn, roomAuth } from './power.js';
import { authRule, CsRules } from './rule-refs.js';
import type { AuthState, Membership, Verdict } from './types.js';
import { ALLOWED, deny, levelShortfall } from './verdict.js';

/**
 * "May this user do this here?" — one function per action, each answering with a
 * Verdict that says why not. All of them apply the auth rules of the room's version.
 */

/** Send a message (non-state) event of `type`. */
export function canSendMessage(state: AuthState, sender: string, type: string): Verdict {
  return checkOrdinary(roomAuth(state), { type, sender, content: {} }, false);
}

/**
 * Send a state event of `type`/`stateKey`. With `content`, the content rules apply too
 * (power-levels changes, membership transitions); without it, only "may send this type".
 */
export function canSendState(state: AuthState, sender: string, type: string, stateKey = '', content?: JsonObject): Verdict {
  if (content) return authorizeEvent(state, { type, sender, state_key: stateKey, content });
  const auth = roomAuth(state);
  if (type === 'm.room.member') {
    return deny(authRule(auth.rules, 'member.shape'), 'membership changes depend on the new membership: use canChangeMembership');
  }
  if (auth.rules.specialCaseAliases && type === 'm.room.aliases') {
    return authorizeEvent(state, { type, sender, state_key: stateKey, content: {} });
  }
  return checkOrdinary(auth, { type, sender, state_key: stateKey, content: {} }, false);
}

/** Set `target`'s membership (join, invite, leave, ban, knock) as `sender`. */
export function canChangeMembership(
  state: AuthState, sender: string, target: string, membership: Membership, content: JsonObject = {},
): Verdict {
  return checkMembershipChange(roomAuth(state), sender, target, { ...content, membership });
}

export function canInvite(state: AuthState, sender: string, target: string): Verdict {
  return canChangeMembership(state, sender, target, 'invite');
}

export function canKick(state: AuthState, sender: string, target: string): Verdict {
  return canChangeMembership(state, sender, target, 'leave');
}

export function canBan(state: AuthState, sender: string, target: string): Verdict {
  return canChangeMembership(state, sender, target, 'ban');
}

/** Unban = set a banned user's membership to leave: needs both the ban and kick levels. */
export function canUnban(state: AuthState, sender: string, target: string): Verdict {
  const auth = roomAuth(state);
  if (membershipIn(auth, target) !== 'ban') return deny(authRule(auth.rules, 'leave.banned'), `${target} is not banned`);
  return canChangeMembership(state, sender, target, 'leave');
}

export function canJoin(state: AuthState, user: string, content: JsonObject = {}): Verdict {
  return canChangeMembership(state, user, user, 'join', content);
}

export function canKnock(state: AuthState, user: string): Verdict {
  return canChangeMembership(state, user, user, 'knock');
}

export function canLeave(state: AuthState, user: string): Verdict {
  return canChangeMembership(state, user, user, 'leave');
}

/**
 * Redact an event. Anyone who may send m.room.redaction may redact their own events;
 * redacting someone else's also needs the `redact` level.
 */
export function canRedact(state: AuthState, sender: string, eventSender: string): Verdict {
  const auth = roomAuth(state);
  const send = checkOrdinary(auth, { type: 'm.room.redaction', sender, content: {} }, false);
  if (!send.allowed || eventSender === sender) return send;
  const required = auth.pl.levels.redact;
  const actual = powerLevelIn(auth, sender);
  if (actual >= required) return ALLOWED;
  return deny(CsRules.redact, `redacting ${eventSender}'s events ${levelShortfall(required, sender, actual)}`, required, actual);
}

/** Replace the power levels with `next` (the full new content). */
export function canChangePowerLevels(state: AuthState, sender: string, next: JsonObject): Verdict {
  return authorizeEvent(state, { type: 'm.room.power_levels', sender, state_key: '', content: next });
}

/** Mention the whole room (`@room`), or another notification key. */
export function canNotify(state: AuthState, sender: string, key = 'room'): Verdict {
  const auth = roomAuth(state);
  const required = notificationLevel(auth.pl, key);
  const actual = powerLevelIn(auth, sender);
  if (actual >= required) return ALLOWED;
  return deny(CsRules.notifications, `notifying "${key}" ${levelShortfall(required, sender, actual)}`, required, actual);
}

/** The level needed to send an event type (message or state). */
export function requiredLevel(state: AuthState, type: string, isState: boolean): number {
  return sendLevel(roomAuth(state).pl, type, isState);
}
