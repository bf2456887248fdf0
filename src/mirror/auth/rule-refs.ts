import type { RoomVersionRules } from '../versions.js';

/**
 * Citations of the auth rules, numbered as the spec page of the room's version numbers
 * them (the numbering shifts: v1–v5 have the m.room.aliases rule, v8 added
 * `join_authorised_via_users_server`, v10 added integer checks, v12 added the room ID
 * and creators rules). A citation reads e.g. "v11 auth rule 4.3.4".
 */
export type AuthRuleName =
  | 'create' | 'create.prevEvents' | 'create.roomId' | 'create.version' | 'create.creator' | 'create.additionalCreators'
  | 'federate' | 'aliases'
  | 'member.shape'
  | 'join.first' | 'join.sender' | 'join.banned' | 'join.invite' | 'join.restricted' | 'join.public' | 'join.otherwise'
  | 'invite.thirdParty' | 'invite.senderJoined' | 'invite.target' | 'invite.level'
  | 'leave.self' | 'leave.senderJoined' | 'leave.banned' | 'leave.kick'
  | 'ban.senderJoined' | 'ban.level'
  | 'knock.joinRule' | 'knock.sender' | 'knock.membership'
  | 'member.unknown'
  | 'joined' | 'thirdPartyInvite' | 'requiredLevel' | 'stateKeyUser'
  | 'pl.topLevelIntegers' | 'pl.nestedIntegers' | 'pl.users' | 'pl.creators' | 'pl.noPrevious'
  | 'pl.topLevel' | 'pl.nestedCurrent' | 'pl.nestedNew' | 'pl.usersCurrent' | 'pl.usersNew'
  | 'redaction';

export function authRule(rules: RoomVersionRules, name: AuthRuleName): string {
  return `v${rules.id} auth rule ${ruleNumber(rules, name)}`;
}

function ruleNumber(r: RoomVersionRules, name: AuthRuleName): string {
  const v12 = r.roomIdIsCreateHash;
  const federate = v12 ? 4 : 3;
  const member = r.specialCaseAliases ? 5 : federate + 1;
  const hasVia = r.restrictedJoinRule;
  const join = hasVia ? 3 : 2;
  const knock = join + 4;
  const unknown = r.knocking ? knock + 1 : knock;
  const pl = member + 5;
  // Sub-rules of the power-levels rule.
  const ints = r.integerPowerLevels ? 2 : 0;
  const creators = v12 ? 1 : 0;
  const plUsers = ints + 1;
  const plNoPrevious = plUsers + creators + 1;
  const joinPublic = r.restrictedJoinRule ? 6 : 5;
  const table: Record<AuthRuleName, string> = {
    create: '1',
    'create.prevEvents': '1.1',
    'create.roomId': '1.2',
    'create.version': '1.3',
    'create.creator': '1.4',
    'create.additionalCreators': '1.4',
    federate: String(federate),
    aliases: '4',
    'member.shape': `${member}.1`,
    'join.first': `${member}.${join}.1`,
    'join.sender': `${member}.${join}.2`,
    'join.banned': `${member}.${join}.3`,
    'join.invite': `${member}.${join}.4`,
    'join.restricted': `${member}.${join}.5`,
    'join.public': `${member}.${join}.${joinPublic}`,
    'join.otherwise': `${member}.${join}.${joinPublic + 1}`,
    'invite.thirdParty': `${member}.${join + 1}.1`,
    'invite.senderJoined': `${member}.${join + 1}.2`,
    'invite.target': `${member}.${join + 1}.3`,
    'invite.level': `${member}.${join + 1}.4`,
    'leave.self': `${member}.${join + 2}.1`,
    'leave.senderJoined': `${member}.${join + 2}.2`,
    'leave.banned': `${member}.${join + 2}.3`,
    'leave.kick': `${member}.${join + 2}.4`,
    'ban.senderJoined': `${member}.${join + 3}.1`,
    'ban.level': `${member}.${join + 3}.2`,
    'knock.joinRule': `${member}.${knock}.1`,
    'knock.sender': `${member}.${knock}.2`,
    'knock.membership': `${member}.${knock}.3`,
    'member.unknown': `${member}.${unknown}`,
    joined: String(member + 1),
    thirdPartyInvite: String(member + 2),
    requiredLevel: String(member + 3),
    stateKeyUser: String(member + 4),
    'pl.topLevelIntegers': `${pl}.1`,
    'pl.nestedIntegers': `${pl}.2`,
    'pl.users': `${pl}.${plUsers}`,
    'pl.creators': `${pl}.${plUsers + 1}`,
    'pl.noPrevious': `${pl}.${plNoPrevious}`,
    'pl.topLevel': `${pl}.${plNoPrevious + 1}`,
    'pl.nestedCurrent': `${pl}.${plNoPrevious + 2}`,
    'pl.nestedNew': `${pl}.${plNoPrevious + 3}`,
    'pl.usersCurrent': `${pl}.${plNoPrevious + 4}`,
    'pl.usersNew': `${pl}.${plNoPrevious + 5}`,
    redaction: String(pl + 1),
  };
  return table[name];
}

/** Citations of rules outside the auth rules (client-server behaviour the spec describes). */
export const CsRules = {
  redact: 'client-server m.room.power_levels "redact" + v3+ "Handling redactions"',
  notifications: 'client-server m.room.power_levels "notifications.room"',
  spaceChild: 'client-server "Spaces": m.space.child needs a via',
  spaceParent: 'client-server "Spaces": m.space.parent validity',
} as const;

/**
 * Citations of what the client-server endpoints refuse on top of the auth rules: the spec's
 * endpoint text where it says so, else the homeserver code that does it (Synapse
 * `handlers/room_member.py`, `handlers/message.py`, `events/validator.py`, `event_auth.py`).
 * A refusal whose rule starts with "client-server endpoint" is one of these; the auth rules'
 * refusals start with "vN auth rule".
 */
export const EndpointRules = {
  kickTarget: 'client-server endpoint POST /kick: the target must be joined, invited or knocking (Synapse handlers/room_member.py "The target user is not in the room")',
  integerLevels: 'client-server endpoint m.room.power_levels: integer values only, in every room version (Synapse events/validator.py POWER_LEVELS_SCHEMA)',
  redactCreate: 'client-server endpoint redact: m.room.create cannot be redacted (Synapse handlers/message.py)',
  redactServerAcl: 'client-server endpoint redact: m.room.server_acl cannot be redacted (Synapse handlers/message.py)',
  eventSize: 'client-server "Size limits": an event is at most 65536 bytes; type, state_key and sender at most 255 bytes (Synapse event_auth.py)',
  content: 'client-server endpoint event content (Synapse events/validator.py)',
  memberProfile: 'client-server endpoint m.room.member: displayname at most 256, avatar_url at most 1000 characters (Synapse handlers/room_member.py)',
  serverAcl: 'client-server endpoint m.room.server_acl: may not deny the sender\'s own server (Synapse events/validator.py)',
  mentions: 'client-server m.mentions: user_ids an array of strings, room a boolean (Synapse events/validator.py MENTIONS_SCHEMA)',
  retention: 'client-server endpoint m.room.retention: integer lifetimes, min at most max (Synapse events/validator.py)',
} as const;
