import type { JsonObject } from '../../events/types.js';
import { isObject } from '../../events/validate.js';
import { serverOfUser } from './creators.js';
import { membershipIn, powerLevelIn, type RoomAuth } from './power.js';
import { authRule } from './rule-refs.js';
import type { Verdict } from './types.js';
import { ALLOWED, deny, formatLevel, levelShortfall } from './verdict.js';

/** The join rule in force; a room without m.room.join_rules is treated as invite-only, as Synapse does. */
export function joinRuleIn(auth: RoomAuth): string {
  const rule = auth.state.joinRules?.['join_rule'];
  return typeof rule === 'string' ? rule : 'invite';
}

/** The m.room.member auth rules: may `sender` set `target`'s membership to `content.membership`? */
export function checkMembershipChange(auth: RoomAuth, sender: string, target: string, content: JsonObject): Verdict {
  const membership = content['membership'];
  const cite = (name: Parameters<typeof authRule>[1]) => authRule(auth.rules, name);
  const federate = checkFederate(auth, sender);
  if (federate) return federate;
  if (typeof membership !== 'string') return deny(cite('member.shape'), 'an m.room.member event needs content.membership');
  switch (membership) {
    case 'join': return checkJoin(auth, sender, target, content);
    case 'invite': return checkInvite(auth, sender, target, content);
    case 'leave': return checkLeave(auth, sender, target);
    case 'ban': return checkBan(auth, sender, target);
    case 'knock':
      if (auth.rules.knocking) return checkKnock(auth, sender, target);
      break;
  }
  return deny(cite('member.unknown'), `membership "${membership}" is not known in room version ${auth.rules.id}`);
}

function isFirstJoinOfCreator(auth: RoomAuth, target: string): boolean {
  const creator = auth.rules.creatorIsCreateSender ? auth.state.create.sender : auth.creators[0];
  if (target !== creator) return false;
  const only = auth.state.onlyCreateEvent
    ?? (auth.state.powerLevels === undefined && auth.state.joinRules === undefined && auth.state.membershipOf(target) === undefined);
  return only;
}

function checkJoin(auth: RoomAuth, sender: string, target: string, content: JsonObject): Verdict {
  const cite = (name: Parameters<typeof authRule>[1]) => authRule(auth.rules, name);
  if (isFirstJoinOfCreator(auth, target) && sender === target) return ALLOWED;
  if (sender !== target) return deny(cite('join.sender'), `${sender} cannot join on behalf of ${target}`);
  const current = membershipIn(auth, target);
  if (current === 'ban') return deny(cite('join.banned'), `${target} is banned from the room`);
  const joinRule = joinRuleIn(auth);
  const invitedOrJoined = current === 'invite' || current === 'join';
  if (joinRule === 'invite' || (joinRule === 'knock' && auth.rules.knocking)) {
    return invitedOrJoined ? ALLOWED
      : deny(cite('join.invite'), `the room's join rule is "${joinRule}" and ${target} is not invited`);
  }
  const restricted = (joinRule === 'restricted' && auth.rules.restrictedJoinRule)
    || (joinRule === 'knock_restricted' && auth.rules.knockRestrictedJoinRule);
  if (restricted) {
    if (invitedOrJoined) return ALLOWED;
    const via = content['join_authorised_via_users_server'];
    if (typeof via !== 'string') {
      return deny(cite('join.restricted'),
        `the room's join rule is "${joinRule}": ${target} needs an invite or a join authorised by a member who may invite`);
    }
    const viaLevel = powerLevelIn(auth, via);
    const inviteLevel = auth.pl.levels.invite;
    if (membershipIn(auth, via) !== 'join' || viaLevel < inviteLevel) {
      return deny(cite('join.restricted'),
        `the join is authorised by ${via}, who cannot invite (${via} must be joined with power level ${formatLevel(inviteLevel)}; has ${formatLevel(viaLevel)})`,
        inviteLevel, viaLevel);
    }
    return ALLOWED;
  }
  if (joinRule === 'public') return ALLOWED;
  return deny(cite('join.otherwise'), `the room's join rule "${joinRule}" lets nobody join in room version ${auth.rules.id}`);
}

function checkInvite(auth: RoomAuth, sender: string, target: string, content: JsonObject): Verdict {
  const cite = (name: Parameters<typeof authRule>[1]) => authRule(auth.rules, name);
  if (content['third_party_invite'] !== undefined) return checkThirdPartyInvite(auth, sender, target, content['third_party_invite']);
  if (membershipIn(auth, sender) !== 'join') return deny(cite('invite.senderJoined'), `${sender} is not joined to the room`);
  const targetMembership = membershipIn(auth, target);
  if (targetMembership === 'join') return deny(cite('invite.target'), `${target} is already joined`);
  if (targetMembership === 'ban') return deny(cite('invite.target'), `${target} is banned`);
  const required = auth.pl.levels.invite;
  const actual = powerLevelIn(auth, sender);
  if (actual >= required) return ALLOWED;
  return deny(cite('invite.level'), `inviting ${levelShortfall(required, sender, actual)}`, required, actual);
}

/**
 * The structural checks of a third-party invite. The signature itself is not verified
 * here: the homeserver has already done so for every event it sends.
 */
function checkThirdPartyInvite(auth: RoomAuth, sender: string, target: string, invite: unknown): Verdict {
  const rule = authRule(auth.rules, 'invite.thirdParty');
  if (membershipIn(auth, target) === 'ban') return deny(rule, `${target} is banned`);
  const signed = isObject(invite) ? invite['signed'] : undefined;
  if (!isObject(signed)) return deny(rule, 'third_party_invite has no "signed" object');
  const { mxid, token } = signed;
  if (typeof mxid !== 'string' || typeof token !== 'string') return deny(rule, 'third_party_invite.signed needs mxid and token');
  if (mxid !== target) return deny(rule, `third_party_invite is for ${mxid}, not ${target}`);
  const original = auth.state.stateEntry?.('m.room.third_party_invite', token);
  if (!original) return deny(rule, `no m.room.third_party_invite with token ${token} in the room`);
  if (original.sender !== sender) return deny(rule, `the third-party invite was sent by ${original.sender}, not ${sender}`);
  if (!isObject(signed['signatures'])) return deny(rule, 'third_party_invite.signed has no signatures');
  return ALLOWED;
}

function checkLeave(auth: RoomAuth, sender: string, target: string): Verdict {
  const cite = (name: Parameters<typeof authRule>[1]) => authRule(auth.rules, name);
  const current = membershipIn(auth, target);
  if (sender === target) {
    const may = current === 'invite' || current === 'join' || (current === 'knock' && auth.rules.knocking);
    return may ? ALLOWED : deny(cite('leave.self'), `${target} cannot leave: their membership is "${current}"`);
  }
  if (membershipIn(auth, sender) !== 'join') return deny(cite('leave.senderJoined'), `${sender} is not joined to the room`);
  const senderLevel = powerLevelIn(auth, sender);
  if (current === 'ban') {
    const banLevel = auth.pl.levels.ban;
    if (senderLevel < banLevel) {
      return deny(cite('leave.banned'), `unbanning ${levelShortfall(banLevel, sender, senderLevel)}`, banLevel, senderLevel);
    }
  }
  const kickLevel = auth.pl.levels.kick;
  if (senderLevel < kickLevel) {
    const what = current === 'ban' ? 'unbanning (needs the kick level too)' : 'kicking';
    return deny(cite('leave.kick'), `${what} ${levelShortfall(kickLevel, sender, senderLevel)}`, kickLevel, senderLevel);
  }
  const targetLevel = powerLevelIn(auth, target);
  if (targetLevel >= senderLevel) {
    return deny(cite('leave.kick'),
      `${sender} (${formatLevel(senderLevel)}) cannot remove ${target}, whose power level ${formatLevel(targetLevel)} is not lower`,
      targetLevel + 1, senderLevel);
  }
  return ALLOWED;
}

function checkBan(auth: RoomAuth, sender: string, target: string): Verdict {
  const cite = (name: Parameters<typeof authRule>[1]) => authRule(auth.rules, name);
  if (membershipIn(auth, sender) !== 'join') return deny(cite('ban.senderJoined'), `${sender} is not joined to the room`);
  const senderLevel = powerLevelIn(auth, sender);
  const banLevel = auth.pl.levels.ban;
  if (senderLevel < banLevel) return deny(cite('ban.level'), `banning ${levelShortfall(banLevel, sender, senderLevel)}`, banLevel, senderLevel);
  const targetLevel = powerLevelIn(auth, target);
  if (targetLevel >= senderLevel) {
    return deny(cite('ban.level'),
      `${sender} (${formatLevel(senderLevel)}) cannot ban ${target}, whose power level ${formatLevel(targetLevel)} is not lower`,
      targetLevel + 1, senderLevel);
  }
  return ALLOWED;
}

function checkKnock(auth: RoomAuth, sender: string, target: string): Verdict {
  const cite = (name: Parameters<typeof authRule>[1]) => authRule(auth.rules, name);
  const joinRule = joinRuleIn(auth);
  const knockable = joinRule === 'knock' || (joinRule === 'knock_restricted' && auth.rules.knockRestrictedJoinRule);
  if (!knockable) return deny(cite('knock.joinRule'), `the room's join rule "${joinRule}" does not allow knocking`);
  if (sender !== target) return deny(cite('knock.sender'), `${sender} cannot knock on behalf of ${target}`);
  const current = membershipIn(auth, sender);
  if (current === 'ban' || current === 'invite' || current === 'join') {
    return deny(cite('knock.membership'), `${sender} cannot knock: their membership is "${current}"`);
  }
  return ALLOWED;
}

/** Rule "m.federate": a room created with `m.federate: false` is closed to other servers. */
export function checkFederate(auth: RoomAuth, sender: string): Verdict | undefined {
  if (auth.state.create.content['m.federate'] !== false) return undefined;
  const home = serverOfUser(auth.state.create.sender);
  if (serverOfUser(sender) === home) return undefined;
  return deny(authRule(auth.rules, 'federate'), `the room does not federate: ${sender} is not on ${home}`);
}
