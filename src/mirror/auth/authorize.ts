import { roomVersionOf, roomVersionRules } from '../versions.js';
import { isUserId, serverOfUser } from './creators.js';
import { sendLevel } from './levels.js';
import { checkFederate, checkMembershipChange } from './membership.js';
import { checkPowerLevelsChange } from './power-levels-change.js';
import { membershipIn, powerLevelIn, roomAuth, type RoomAuth } from './power.js';
import { authRule } from './rule-refs.js';
import type { AuthState, ProposedEvent, Verdict } from './types.js';
import { ALLOWED, deny, levelShortfall } from './verdict.js';

/**
 * The auth rules of the room's version applied to one event against the current state.
 * Not checked here, because they concern the event graph rather than the state:
 * signatures, auth_events selection, and v12's "room ID is the create event's hash".
 */
export function authorizeEvent(state: AuthState, event: ProposedEvent): Verdict {
  if (event.type === 'm.room.create' && event.state_key === '') return authorizeCreate(event);
  const auth = roomAuth(state);
  const federate = checkFederate(auth, event.sender);
  if (federate) return federate;
  if (auth.rules.specialCaseAliases && event.type === 'm.room.aliases') {
    const rule = authRule(auth.rules, 'aliases');
    if (event.state_key === undefined) return deny(rule, 'm.room.aliases needs a state_key');
    if (event.state_key !== serverOfUser(event.sender)) {
      return deny(rule, `m.room.aliases for ${event.state_key} must be sent from that server, not by ${event.sender}`);
    }
    return ALLOWED;
  }
  if (event.type === 'm.room.member') {
    if (event.state_key === undefined) return deny(authRule(auth.rules, 'member.shape'), 'an m.room.member event needs a state_key');
    return checkMembershipChange(auth, event.sender, event.state_key, event.content);
  }
  return checkOrdinary(auth, event, true);
}

/**
 * Rules for every event that is not a create, member (or v1–v5 aliases) event:
 * joined sender, third-party invites, required level, `@` state keys, power levels and
 * (v1–v2) redactions. `checkContent: false` asks only "may this user send this type?".
 */
export function checkOrdinary(auth: RoomAuth, event: ProposedEvent, checkContent: boolean): Verdict {
  const { sender, type } = event;
  const federate = checkFederate(auth, sender);
  if (federate) return federate;
  if (membershipIn(auth, sender) !== 'join') return deny(authRule(auth.rules, 'joined'), `${sender} is not joined to the room`);
  const senderLevel = powerLevelIn(auth, sender);
  if (type === 'm.room.third_party_invite' && event.state_key !== undefined) {
    const required = auth.pl.levels.invite;
    return senderLevel >= required ? ALLOWED
      : deny(authRule(auth.rules, 'thirdPartyInvite'), `sending a third-party invite ${levelShortfall(required, sender, senderLevel)}`, required, senderLevel);
  }
  const isState = event.state_key !== undefined;
  const required = sendLevel(auth.pl, type, isState);
  if (required > senderLevel) {
    return deny(authRule(auth.rules, 'requiredLevel'),
      `sending ${type} ${levelShortfall(required, sender, senderLevel)}`, required, senderLevel);
  }
  if (event.state_key !== undefined && event.state_key.startsWith('@') && event.state_key !== sender) {
    return deny(authRule(auth.rules, 'stateKeyUser'),
      `a state key starting with "@" may only be the sender's own user ID (${event.state_key} is not ${sender})`);
  }
  if (checkContent && type === 'm.room.power_levels' && event.state_key === '') {
    return checkPowerLevelsChange(auth, sender, event.content);
  }
  if (checkContent && auth.rules.specialCaseRedaction && type === 'm.room.redaction') {
    return checkLegacyRedaction(auth, event, senderLevel);
  }
  return ALLOWED;
}

/** v1–v2 rule 11: the redact level, or a redaction of an event from the redacting event's own server. */
function checkLegacyRedaction(auth: RoomAuth, event: ProposedEvent, senderLevel: number): Verdict {
  const required = auth.pl.levels.redact;
  if (senderLevel >= required) return ALLOWED;
  const domain = (id: string | undefined) => (id && id.includes(':') ? id.slice(id.indexOf(':') + 1) : undefined);
  const target = event.redacts ?? (typeof event.content['redacts'] === 'string' ? event.content['redacts'] : undefined);
  const own = domain(target);
  if (own !== undefined && own === domain(event.event_id)) return ALLOWED;
  return deny(authRule(auth.rules, 'redaction'), `redacting another server's event ${levelShortfall(required, event.sender, senderLevel)}`,
    required, senderLevel);
}


/** Rule 1: the create event, judged on its own (there is no state before it). */
export function authorizeCreate(event: ProposedEvent): Verdict {
  const version = roomVersionOf(event.content);
  const rules = roomVersionRules(version);
  if (event.prev_events !== undefined && event.prev_events.length > 0) {
    return deny(authRule(rules, 'create.prevEvents'), 'm.room.create must have no prev_events');
  }
  if (rules.roomIdIsCreateHash) {
    if (event.room_id !== undefined) return deny(authRule(rules, 'create.roomId'), `m.room.create must not carry a room_id in room version ${version}`);
  }
  // Up to v11, rule 1.2 compares the room ID's domain with the sender's. bridgekit never
  // parses room IDs (v12 IDs have no server part); the homeserver has made that check.
  if (!rules.known) return deny(authRule(rules, 'create.version'), `room version "${version}" is not known`);
  if (!rules.creatorIsCreateSender && typeof event.content['creator'] !== 'string') {
    return deny(authRule(rules, 'create.creator'), `m.room.create needs content.creator in room version ${version}`);
  }
  if (rules.privilegedCreators && event.content['additional_creators'] !== undefined) {
    const extra = event.content['additional_creators'];
    if (!Array.isArray(extra) || !extra.every(isUserId)) {
      return deny(authRule(rules, 'create.additionalCreators'), 'additional_creators must be an array of user IDs');
    }
  }
  return ALLOWED;
}
