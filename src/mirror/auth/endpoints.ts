import type { JsonObject } from '../../events/types.js';
import * as rules from './can.js';
import { checkEndpointEvent } from './endpoint-content.js';
import { EndpointRules } from './rule-refs.js';
import type { AuthState, Membership, Verdict } from './types.js';
import { canSetUserLevel as userLevelByRules } from './user-level.js';
import { deny } from './verdict.js';

/**
 * "Will the homeserver's client-server endpoint accept this?" — the questions a bridge
 * asks before sending. Each applies what the endpoint refuses on top of the auth rules
 * (sizes, content shape, /kick's target, what cannot be redacted: see `EndpointRules`),
 * then the auth rules of the room's version (`./can.ts`, exported as `authRules`, the
 * answer for an event received over federation).
 */

export function canSendMessage(state: AuthState, sender: string, type: string, content?: JsonObject): Verdict {
  return checkEndpointEvent({ type, sender, ...(content ? { content } : {}) }) ?? rules.canSendMessage(state, sender, type);
}

export function canSendState(state: AuthState, sender: string, type: string, stateKey = '', content?: JsonObject): Verdict {
  return checkEndpointEvent({ type, sender, stateKey, ...(content ? { content } : {}) }) ?? rules.canSendState(state, sender, type, stateKey, content);
}

export function canChangeMembership(
  state: AuthState, sender: string, target: string, membership: Membership, content: JsonObject = {},
): Verdict {
  const event = { type: 'm.room.member', sender, stateKey: target, content: { ...content, membership } };
  return checkEndpointEvent(event) ?? rules.canChangeMembership(state, sender, target, membership, content);
}

export function canInvite(state: AuthState, sender: string, target: string): Verdict {
  return canChangeMembership(state, sender, target, 'invite');
}

/** /kick refuses a target who has left, was banned or was never in the room; the auth rules would accept some of those. */
export function canKick(state: AuthState, sender: string, target: string): Verdict {
  const membership = state.membershipOf(target);
  if (membership !== 'join' && membership !== 'invite' && membership !== 'knock') {
    const now = membership === 'ban' ? 'are banned' : membership === 'leave' ? 'have left' : 'were never in the room';
    return deny(EndpointRules.kickTarget, `${target} cannot be kicked: they ${now}`);
  }
  return canChangeMembership(state, sender, target, 'leave');
}

/** A ban needs no membership: users who never joined can be banned. */
export function canBan(state: AuthState, sender: string, target: string): Verdict {
  return canChangeMembership(state, sender, target, 'ban');
}

export function canUnban(state: AuthState, sender: string, target: string): Verdict {
  return rules.canUnban(state, sender, target);
}

export function canJoin(state: AuthState, user: string, content: JsonObject = {}): Verdict {
  return canChangeMembership(state, user, user, 'join', content);
}

export function canKnock(state: AuthState, user: string): Verdict {
  return rules.canKnock(state, user);
}

export function canLeave(state: AuthState, user: string): Verdict {
  return rules.canLeave(state, user);
}

/**
 * Redact an event of `eventSender`; with `eventType`, what the endpoint refuses whoever
 * asks: the room's create event and its server ACL cannot be redacted.
 */
export function canRedact(state: AuthState, sender: string, eventSender: string, eventType?: string): Verdict {
  if (eventType === 'm.room.create') return deny(EndpointRules.redactCreate, 'the room\'s create event cannot be redacted');
  if (eventType === 'm.room.server_acl') return deny(EndpointRules.redactServerAcl, 'server ACL events cannot be redacted');
  return rules.canRedact(state, sender, eventSender);
}

/** Replace the power levels with `next`: integers only, whatever the room version's auth rules read. */
export function canChangePowerLevels(state: AuthState, sender: string, next: JsonObject): Verdict {
  return checkEndpointEvent({ type: 'm.room.power_levels', sender, stateKey: '', content: next }) ?? rules.canChangePowerLevels(state, sender, next);
}

/** Set one user's level, as a command acting for `sender` must ask before the bot does it. */
export function canSetUserLevel(state: AuthState, sender: string, target: string, level: number): Verdict {
  if (!Number.isSafeInteger(level)) return deny(EndpointRules.integerLevels, `power level ${String(level)} is not an integer`);
  return userLevelByRules(state, sender, target, level);
}

export function canNotify(state: AuthState, sender: string, key = 'room'): Verdict {
  return rules.canNotify(state, sender, key);
}

export { requiredLevel } from './can.js';
