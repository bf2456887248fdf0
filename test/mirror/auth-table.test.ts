import assert from 'node:assert/strict';
import {
  authRule, authRules, authorizeCreate, authorizeEvent, CsRules, type AuthRuleName, type AuthState, type Verdict,
} from '../../src/mirror/auth/index.js';
import { roomVersionRules } from '../../src/mirror/versions.js';
import { ALICE, BOB, CAROL, DAVE, ERIN, FRANK, MOD, buildRoom, ev, standardPowerLevels, type RoomSpec } from './helpers.js';

/**
 * One row per auth rule (and per outcome of it), run for room versions 1, 6, 10, 11 and 12.
 * `cites` names the rule; `expect` gives the outcome per version: `true` (allowed) or the
 * name of the rule that refuses, whose number per version comes from the spec pages.
 */
interface Case {
  readonly cites: AuthRuleName | string;
  readonly title: string;
  readonly versions?: readonly string[];
  readonly room?: Omit<RoomSpec, 'version'> | ((version: string) => Omit<RoomSpec, 'version'>);
  readonly ask: (state: AuthState, version: string) => Verdict;
  readonly expect: true | AuthRuleName | { cs: string } | ((version: string) => true | AuthRuleName);
}

// The auth rules alone (what federation accepts); the endpoint predictions have their own tests.
const {
  canBan, canChangeMembership, canInvite, canJoin, canKick, canKnock, canLeave, canRedact, canSendMessage, canSendState,
  canUnban, canChangePowerLevels,
} = authRules;

const VERSIONS = ['1', '6', '10', '11', '12'];
const KNOCK_VERSIONS = ['10', '11', '12'];
const PRE_KNOCK = ['1', '6'];
const member = (m: string, extra = {}) => ({ membership: m, ...extra });

const CASES: Case[] = [
  // --- m.room.member: join ---
  { cites: 'join.first', title: 'the creator joins right after the create event', room: { members: {}, powerLevels: null },
    ask: (s) => authorizeEvent(onlyCreate(s), { type: 'm.room.member', sender: ALICE, state_key: ALICE, content: member('join') }), expect: true },
  { cites: 'join.sender', title: 'nobody joins on behalf of someone else', ask: (s) => canChangeMembership(s, ALICE, FRANK, 'join'), expect: 'join.sender' },
  { cites: 'join.banned', title: 'a banned user cannot join, even a public room (ban → join is illegal)', room: { joinRule: 'public' },
    ask: (s) => canJoin(s, DAVE), expect: 'join.banned' },
  { cites: 'join.invite', title: 'invite-only: an uninvited user cannot join', ask: (s) => canJoin(s, FRANK), expect: 'join.invite' },
  { cites: 'join.invite', title: 'invite-only: an invited user joins', ask: (s) => canJoin(s, CAROL), expect: true },
  { cites: 'join.invite', title: 'invite-only: a joined user may re-join (profile change)', ask: (s) => canJoin(s, BOB), expect: true },
  { cites: 'join.public', title: 'public: anyone not banned joins', room: { joinRule: 'public' }, ask: (s) => canJoin(s, FRANK), expect: true },
  { cites: 'join.otherwise', title: 'an unknown join rule ("private") lets nobody in', room: { joinRule: 'private' },
    ask: (s) => canJoin(s, FRANK), expect: 'join.otherwise' },
  { cites: 'join.invite', title: 'knock rule (v7+): an invited user joins', versions: KNOCK_VERSIONS, room: { joinRule: 'knock' },
    ask: (s) => canJoin(s, CAROL), expect: true },
  { cites: 'join.otherwise', title: 'knock rule before v7 is unknown: even the invited cannot join', versions: PRE_KNOCK, room: { joinRule: 'knock' },
    ask: (s) => canJoin(s, CAROL), expect: 'join.otherwise' },
  { cites: 'join.restricted', title: 'restricted (v8+): join authorised by a joined member who may invite', versions: KNOCK_VERSIONS,
    room: { joinRule: 'restricted' }, ask: (s) => canJoin(s, FRANK, { join_authorised_via_users_server: MOD }), expect: true },
  { cites: 'join.restricted', title: 'restricted: authoriser who is not joined is refused', versions: KNOCK_VERSIONS,
    room: { joinRule: 'restricted' }, ask: (s) => canJoin(s, FRANK, { join_authorised_via_users_server: CAROL }), expect: 'join.restricted' },
  { cites: 'join.restricted', title: 'restricted: authoriser below the invite level is refused', versions: KNOCK_VERSIONS,
    room: (v) => ({ joinRule: 'restricted', powerLevels: standardPowerLevels(v, { invite: 50 }) }),
    ask: (s) => canJoin(s, FRANK, { join_authorised_via_users_server: BOB }), expect: 'join.restricted' },
  { cites: 'join.restricted', title: 'restricted: no authoriser and no invite is refused', versions: KNOCK_VERSIONS,
    room: { joinRule: 'restricted' }, ask: (s) => canJoin(s, FRANK), expect: 'join.restricted' },
  { cites: 'join.restricted', title: 'knock_restricted (v10+): authorised join', versions: KNOCK_VERSIONS,
    room: { joinRule: 'knock_restricted' }, ask: (s) => canJoin(s, FRANK, { join_authorised_via_users_server: MOD }), expect: true },
  { cites: 'join.otherwise', title: 'restricted before v8 is unknown', versions: PRE_KNOCK, room: { joinRule: 'restricted' },
    ask: (s) => canJoin(s, FRANK, { join_authorised_via_users_server: MOD }), expect: 'join.otherwise' },

  // --- invite ---
  { cites: 'invite.senderJoined', title: 'an invited (not joined) user cannot invite', ask: (s) => canInvite(s, CAROL, FRANK), expect: 'invite.senderJoined' },
  { cites: 'invite.target', title: 'cannot invite a joined user', ask: (s) => canInvite(s, MOD, BOB), expect: 'invite.target' },
  { cites: 'invite.target', title: 'cannot invite a banned user', ask: (s) => canInvite(s, MOD, DAVE), expect: 'invite.target' },
  { cites: 'invite.level', title: 'invite level 0 by default: anyone joined invites', ask: (s) => canInvite(s, BOB, FRANK), expect: true },
  { cites: 'invite.level', title: 'invite level 50: a user at 0 cannot invite', room: (v) => ({ powerLevels: standardPowerLevels(v, { invite: 50 }) }),
    ask: (s) => canInvite(s, BOB, FRANK), expect: 'invite.level' },
  { cites: 'invite.thirdParty', title: 'a third-party invite without "signed" is refused',
    ask: (s) => canChangeMembership(s, MOD, FRANK, 'invite', { third_party_invite: { display_name: 'f' } }), expect: 'invite.thirdParty' },

  // --- leave / kick / unban ---
  { cites: 'leave.self', title: 'a joined user leaves', ask: (s) => canLeave(s, BOB), expect: true },
  { cites: 'leave.self', title: 'an invited user rejects the invite', ask: (s) => canLeave(s, CAROL), expect: true },
  { cites: 'leave.self', title: 'a user without membership cannot leave', ask: (s) => canLeave(s, FRANK), expect: 'leave.self' },
  { cites: 'leave.self', title: 'a banned user cannot lift their own ban by leaving', ask: (s) => canLeave(s, DAVE), expect: 'leave.self' },
  { cites: 'leave.self', title: 'a knocking user withdraws the knock (v7+)', versions: KNOCK_VERSIONS, ask: (s) => canLeave(s, ERIN), expect: true },
  { cites: 'leave.senderJoined', title: 'an invited user cannot kick', ask: (s) => canKick(s, CAROL, BOB), expect: 'leave.senderJoined' },
  { cites: 'leave.kick', title: 'below the kick level cannot kick', ask: (s) => canKick(s, BOB, CAROL), expect: 'leave.kick' },
  { cites: 'leave.kick', title: 'a moderator kicks a lower user', ask: (s) => canKick(s, MOD, BOB), expect: true },
  { cites: 'leave.kick', title: 'a moderator cannot kick the creator', ask: (s) => canKick(s, MOD, ALICE), expect: 'leave.kick' },
  { cites: 'leave.banned', title: 'unban needs the ban level', room: (v) => ({ powerLevels: standardPowerLevels(v, { ban: 100 }) }),
    ask: (s) => canUnban(s, MOD, DAVE), expect: 'leave.banned' },
  { cites: 'leave.kick', title: 'unban needs the kick level too', room: (v) => ({ powerLevels: standardPowerLevels(v, { kick: 100 }) }),
    ask: (s) => canUnban(s, MOD, DAVE), expect: 'leave.kick' },
  { cites: 'leave.kick', title: 'a moderator unbans', ask: (s) => canUnban(s, MOD, DAVE), expect: true },

  // --- ban ---
  { cites: 'ban.senderJoined', title: 'an invited user cannot ban', ask: (s) => canBan(s, CAROL, BOB), expect: 'ban.senderJoined' },
  { cites: 'ban.level', title: 'below the ban level cannot ban', ask: (s) => canBan(s, BOB, FRANK), expect: 'ban.level' },
  { cites: 'ban.level', title: 'a moderator bans a lower user', ask: (s) => canBan(s, MOD, BOB), expect: true },
  { cites: 'ban.level', title: 'a moderator cannot ban the creator', ask: (s) => canBan(s, MOD, ALICE), expect: 'ban.level' },
  { cites: 'ban.level', title: 'the creator bans a moderator', ask: (s) => canBan(s, ALICE, MOD), expect: true },

  // --- knock ---
  { cites: 'member.unknown', title: 'knock before v7 is an unknown membership', versions: PRE_KNOCK, room: { joinRule: 'knock' },
    ask: (s) => canKnock(s, FRANK), expect: 'member.unknown' },
  { cites: 'knock.joinRule', title: 'knocking needs the knock join rule', versions: KNOCK_VERSIONS, ask: (s) => canKnock(s, FRANK), expect: 'knock.joinRule' },
  { cites: 'knock.joinRule', title: 'knock rule: a stranger knocks', versions: KNOCK_VERSIONS, room: { joinRule: 'knock' }, ask: (s) => canKnock(s, FRANK), expect: true },
  { cites: 'knock.joinRule', title: 'knock_restricted: a stranger knocks', versions: KNOCK_VERSIONS, room: { joinRule: 'knock_restricted' },
    ask: (s) => canKnock(s, FRANK), expect: true },
  { cites: 'knock.sender', title: 'nobody knocks for someone else', versions: KNOCK_VERSIONS, room: { joinRule: 'knock' },
    ask: (s) => canChangeMembership(s, ALICE, FRANK, 'knock'), expect: 'knock.sender' },
  { cites: 'knock.membership', title: 'a joined user cannot knock', versions: KNOCK_VERSIONS, room: { joinRule: 'knock' },
    ask: (s) => canKnock(s, BOB), expect: 'knock.membership' },
  { cites: 'knock.membership', title: 'a banned user cannot knock', versions: KNOCK_VERSIONS, room: { joinRule: 'knock' },
    ask: (s) => canKnock(s, DAVE), expect: 'knock.membership' },
  { cites: 'member.unknown', title: 'an unknown membership value is refused',
    ask: (s) => authorizeEvent(s, { type: 'm.room.member', sender: BOB, state_key: BOB, content: member('dance') }), expect: 'member.unknown' },
  { cites: 'member.shape', title: 'a member event without membership is refused',
    ask: (s) => authorizeEvent(s, { type: 'm.room.member', sender: BOB, state_key: BOB, content: {} }), expect: 'member.shape' },

  // --- every other event ---
  { cites: 'joined', title: 'a non-member cannot send messages', ask: (s) => canSendMessage(s, FRANK, 'm.room.message'), expect: 'joined' },
  { cites: 'joined', title: 'an invited user cannot send messages', ask: (s) => canSendMessage(s, CAROL, 'm.room.message'), expect: 'joined' },
  { cites: 'requiredLevel', title: 'events_default 0: a joined user sends a message', ask: (s) => canSendMessage(s, BOB, 'm.room.message'), expect: true },
  { cites: 'requiredLevel', title: 'events[type] overrides events_default',
    room: (v) => ({ powerLevels: standardPowerLevels(v, { events: { 'm.room.message': 10 } }) }),
    ask: (s) => canSendMessage(s, BOB, 'm.room.message'), expect: 'requiredLevel' },
  { cites: 'requiredLevel', title: 'state_default 50: a user at 0 cannot set the topic', ask: (s) => canSendState(s, BOB, 'm.room.topic'), expect: 'requiredLevel' },
  { cites: 'requiredLevel', title: 'a moderator sets the topic', ask: (s) => canSendState(s, MOD, 'm.room.topic'), expect: true },
  { cites: 'requiredLevel', title: 'custom state types count as state (state_default)', ask: (s) => canSendState(s, BOB, 'com.example.custom', 'x'), expect: 'requiredLevel' },
  { cites: 'stateKeyUser', title: 'a state key starting with @ must be the sender',
    room: (v) => ({ powerLevels: standardPowerLevels(v, { state_default: 0 }) }),
    ask: (s) => canSendState(s, BOB, 'com.example.profile', MOD), expect: 'stateKeyUser' },
  { cites: 'stateKeyUser', title: 'one\'s own @ state key is fine',
    room: (v) => ({ powerLevels: standardPowerLevels(v, { state_default: 0 }) }),
    ask: (s) => canSendState(s, BOB, 'com.example.profile', BOB), expect: true },
  { cites: 'thirdPartyInvite', title: 'm.room.third_party_invite needs the invite level', room: (v) => ({ powerLevels: standardPowerLevels(v, { invite: 50 }) }),
    ask: (s) => canSendState(s, BOB, 'm.room.third_party_invite', 'tok'), expect: 'thirdPartyInvite' },
  { cites: 'federate', title: 'm.federate false keeps other servers out', room: { createExtra: { 'm.federate': false }, joinRule: 'public' },
    ask: (s) => canSendMessage(s, BOB, 'm.room.message'), expect: 'federate' },
  { cites: 'aliases', title: 'v1–v5: m.room.aliases only from the server named by the state key', versions: ['1'],
    ask: (s) => authorizeEvent(s, { type: 'm.room.aliases', sender: BOB, state_key: 'a', content: { aliases: [] } }), expect: 'aliases' },
  { cites: 'aliases', title: 'v1–v5: m.room.aliases from its own server needs no level or membership', versions: ['1'],
    ask: (s) => authorizeEvent(s, { type: 'm.room.aliases', sender: FRANK, state_key: 'f', content: { aliases: [] } }), expect: true },
  { cites: 'requiredLevel', title: 'v6+: m.room.aliases is an ordinary state event', versions: ['6', '10', '11', '12'],
    ask: (s) => authorizeEvent(s, { type: 'm.room.aliases', sender: BOB, state_key: 'b', content: { aliases: [] } }), expect: 'requiredLevel' },
  { cites: 'redaction', title: 'v1–v2: redacting another server\'s event needs the redact level', versions: ['1'],
    ask: (s) => authorizeEvent(s, { type: 'm.room.redaction', sender: BOB, event_id: '$r:b', redacts: '$x:a', content: {} }), expect: 'redaction' },
  { cites: 'redaction', title: 'v1–v2: redacting an event of one\'s own server is allowed', versions: ['1'],
    ask: (s) => authorizeEvent(s, { type: 'm.room.redaction', sender: BOB, event_id: '$r:b', redacts: '$x:b', content: {} }), expect: true },
  { cites: 'requiredLevel', title: 'v3+: m.room.redaction only needs its send level', versions: ['6', '10', '11', '12'],
    ask: (s) => authorizeEvent(s, { type: 'm.room.redaction', sender: BOB, event_id: '$r:b', content: { redacts: '$x:a' } }), expect: true },
  { cites: CsRules.redact, title: 'redacting one\'s own event needs only the redaction send level', ask: (s) => canRedact(s, BOB, BOB), expect: true },
  { cites: CsRules.redact, title: 'redacting others\' events needs the redact level', ask: (s) => canRedact(s, BOB, MOD), expect: { cs: CsRules.redact } },
  { cites: CsRules.redact, title: 'a moderator redacts others\' events', ask: (s) => canRedact(s, MOD, BOB), expect: true },

  // --- m.room.power_levels ---
  { cites: 'pl.users', title: 'users keys must be user IDs', ask: (s) => canChangePowerLevels(s, ALICE, withUsers(s, { 'not-a-user': 10 })), expect: 'pl.users' },
  { cites: 'pl.topLevelIntegers', title: 'string levels: accepted up to v9, refused from v10',
    ask: (s) => canChangePowerLevels(s, ALICE, { ...s.powerLevels, ban: '60' }), expect: (v) => (Number(v) >= 10 ? 'pl.topLevelIntegers' : true) },
  { cites: 'pl.topLevelIntegers', title: 'floats: accepted in v1–v5 only',
    ask: (s) => canChangePowerLevels(s, ALICE, { ...s.powerLevels, ban: 60.5 }),
    expect: (v) => (v === '1' ? true : Number(v) >= 10 ? 'pl.topLevelIntegers' : 'pl.users') },
  { cites: 'pl.nestedIntegers', title: 'events values must be integers from v10', versions: KNOCK_VERSIONS,
    ask: (s) => canChangePowerLevels(s, ALICE, { ...s.powerLevels, events: { 'm.room.name': '50' } }), expect: 'pl.nestedIntegers' },
  { cites: 'pl.creators', title: 'v12: creators cannot be listed in users', versions: ['12'],
    ask: (s) => canChangePowerLevels(s, ALICE, withUsers(s, { [ALICE]: 100 })), expect: 'pl.creators' },
  { cites: 'pl.noPrevious', title: 'the first power levels event is allowed (creator)', room: { powerLevels: null },
    ask: (s) => canChangePowerLevels(s, ALICE, { users: { [BOB]: 100 } }), expect: true },
  { cites: 'requiredLevel', title: 'without power levels, others are at 0 and state needs 50', room: { powerLevels: null },
    ask: (s) => canChangePowerLevels(s, BOB, { users: { [BOB]: 100 } }), expect: 'requiredLevel' },
  { cites: 'requiredLevel', title: 'sending power levels needs events["m.room.power_levels"]',
    room: (v) => ({ powerLevels: standardPowerLevels(v, { events: { 'm.room.power_levels': 100 } }) }),
    ask: (s) => canChangePowerLevels(s, MOD, withUsers(s, { [BOB]: 10 })), expect: 'requiredLevel' },
  { cites: 'pl.topLevel', title: 'cannot set a top-level level above one\'s own', room: modCanSendPl,
    ask: (s) => canChangePowerLevels(s, MOD, { ...s.powerLevels, kick: 75 }), expect: 'pl.topLevel' },
  { cites: 'pl.topLevel', title: 'cannot change a top-level level currently above one\'s own', room: (v) => modCanSendPl(v, { redact: 75 }),
    ask: (s) => canChangePowerLevels(s, MOD, { ...s.powerLevels, redact: 50 }), expect: 'pl.topLevel' },
  { cites: 'pl.topLevel', title: 'lowering a level within reach is fine', room: modCanSendPl,
    ask: (s) => canChangePowerLevels(s, MOD, { ...s.powerLevels, kick: 40 }), expect: true },
  { cites: 'pl.nestedCurrent', title: 'cannot change events[type] currently above one\'s own', room: (v) => modCanSendPl(v, {}, { 'm.room.tombstone': 100 }),
    ask: (s) => canChangePowerLevels(s, MOD, { ...s.powerLevels, events: { 'm.room.power_levels': 50, 'm.room.tombstone': 50 } }), expect: 'pl.nestedCurrent' },
  { cites: 'pl.nestedNew', title: 'cannot set events[type] above one\'s own', room: modCanSendPl,
    ask: (s) => canChangePowerLevels(s, MOD, { ...s.powerLevels, events: { 'm.room.power_levels': 50, 'm.room.name': 60 } }), expect: 'pl.nestedNew' },
  { cites: 'pl.nestedCurrent', title: 'notifications are checked from v6 (not in v1)', room: (v) => modCanSendPl(v, { notifications: { room: 100 } }),
    ask: (s) => canChangePowerLevels(s, MOD, { ...s.powerLevels, notifications: { room: 0 } }), expect: (v) => (v === '1' ? true : 'pl.nestedCurrent') },
  { cites: 'pl.usersCurrent', title: 'cannot change a user at or above one\'s own level', room: (v) => modCanSendPl(v, { users: { ...standardUsers(v), '@mod2:a': 50 } }),
    ask: (s) => canChangePowerLevels(s, MOD, withUsers(s, { '@mod2:a': 0 })), expect: 'pl.usersCurrent' },
  { cites: 'pl.usersCurrent', title: 'cannot demote the creator', versions: ['1', '6', '10', '11'], room: modCanSendPl,
    ask: (s) => canChangePowerLevels(s, MOD, withUsers(s, { [ALICE]: 0 })), expect: 'pl.usersCurrent' },
  { cites: 'pl.usersNew', title: 'cannot grant above one\'s own level', room: modCanSendPl,
    ask: (s) => canChangePowerLevels(s, MOD, withUsers(s, { [BOB]: 60 })), expect: 'pl.usersNew' },
  { cites: 'pl.usersNew', title: 'may grant up to one\'s own level', room: modCanSendPl,
    ask: (s) => canChangePowerLevels(s, MOD, withUsers(s, { [BOB]: 50 })), expect: true },
  { cites: 'pl.usersCurrent', title: 'may lower oneself', room: modCanSendPl,
    ask: (s) => canChangePowerLevels(s, MOD, withUsers(s, { [MOD]: 10 })), expect: true },
  { cites: 'pl.usersNew', title: 'v12: a creator grants any level', versions: ['12'],
    ask: (s) => canChangePowerLevels(s, ALICE, withUsers(s, { [BOB]: 1_000_000 })), expect: true },
];

function onlyCreate(state: AuthState): AuthState {
  return {
    roomVersion: state.roomVersion, create: state.create, powerLevels: undefined, joinRules: undefined,
    onlyCreateEvent: true, membershipOf: () => undefined,
  };
}

function standardUsers(version: string): Record<string, number> {
  return { ...(standardPowerLevels(version)['users'] as Record<string, number>) };
}

function withUsers(state: AuthState, users: Record<string, unknown>) {
  const current = (state.powerLevels?.['users'] ?? {}) as Record<string, unknown>;
  return { ...state.powerLevels, users: { ...current, ...users } };
}

/** A room where the moderator (50) may send m.room.power_levels. */
function modCanSendPl(version: string, extra: Record<string, unknown> = {}, events: Record<string, number> = {}) {
  return { powerLevels: standardPowerLevels(version, { events: { 'm.room.power_levels': 50, ...events }, ...extra }) };
}

describe('mirror auth rules: one table, room versions 1, 6, 10, 11, 12', () => {
  for (const c of CASES) {
    for (const version of c.versions ?? VERSIONS) {
      it(`v${version} [${c.cites}] ${c.title}`, () => {
        const spec = typeof c.room === 'function' ? c.room(version) : c.room ?? {};
        const state = buildRoom({ version, ...spec });
        const verdict = c.ask(state, version);
        const expected = typeof c.expect === 'function' ? c.expect(version) : c.expect;
        if (expected === true) {
          assert.equal(verdict.allowed, true, verdict.allowed ? '' : `${verdict.rule}: ${verdict.reason}`);
          return;
        }
        assert.equal(verdict.allowed, false, 'expected a refusal');
        if (verdict.allowed) return;
        const rule = typeof expected === 'object' ? expected.cs : authRule(roomVersionRules(version), expected);
        assert.equal(verdict.rule, rule, verdict.reason);
        assert.ok(verdict.reason.length > 10);
      });
    }
  }

  it('cites rule numbers as each version\'s spec page numbers them', () => {
    assert.equal(authRule(roomVersionRules('1'), 'join.public'), 'v1 auth rule 5.2.5');
    assert.equal(authRule(roomVersionRules('6'), 'leave.kick'), 'v6 auth rule 4.4.4');
    assert.equal(authRule(roomVersionRules('10'), 'join.restricted'), 'v10 auth rule 4.3.5');
    assert.equal(authRule(roomVersionRules('11'), 'pl.usersNew'), 'v11 auth rule 9.9');
    assert.equal(authRule(roomVersionRules('12'), 'pl.creators'), 'v12 auth rule 10.4');
    assert.equal(authRule(roomVersionRules('12'), 'requiredLevel'), 'v12 auth rule 8');
    assert.equal(authRule(roomVersionRules('1'), 'redaction'), 'v1 auth rule 11');
  });

  it('gives the levels and a human sentence when a level decides', () => {
    const verdict = canSendState(buildRoom({ version: '11' }), BOB, 'm.room.topic');
    assert.deepEqual(verdict, {
      allowed: false, rule: 'v11 auth rule 7', reason: 'sending m.room.topic needs power level 50; @bob:b has 0', required: 50, actual: 0,
    });
  });
});

describe('mirror auth rules: m.room.create (rule 1)', () => {
  const create = (content: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    authorizeCreate({ type: 'm.room.create', sender: ALICE, state_key: '', content, ...extra });
  it('v1–v10 need content.creator (rule 1.4)', () => {
    const verdict = create({ room_version: '10' });
    assert.equal(verdict.allowed, false);
    assert.equal(!verdict.allowed && verdict.rule, 'v10 auth rule 1.4');
    assert.equal(create({ room_version: '10', creator: ALICE }).allowed, true);
  });
  it('v11 has no creator key; the sender is the creator', () => assert.equal(create({ room_version: '11' }).allowed, true));
  it('v12 refuses a create event carrying a room_id (rule 1.2)', () => {
    const verdict = create({ room_version: '12' }, { room_id: '!x:a' });
    assert.equal(!verdict.allowed && verdict.rule, 'v12 auth rule 1.2');
  });
  it('v12 refuses additional_creators that are not user IDs (rule 1.4)', () => {
    const verdict = create({ room_version: '12', additional_creators: ['bob'] });
    assert.equal(!verdict.allowed && verdict.rule, 'v12 auth rule 1.4');
    assert.equal(create({ room_version: '12', additional_creators: [BOB] }).allowed, true);
  });
  it('refuses an unknown room version (rule 1.3)', () => {
    const verdict = create({ room_version: '99', creator: ALICE });
    assert.equal(verdict.allowed, false);
  });
  it('refuses prev_events (rule 1.1)', () => {
    assert.equal(create({ room_version: '11' }, { prev_events: ['$x'] }).allowed, false);
  });
});

describe('mirror auth rules: event ids in the rooms', () => {
  it('builds rooms whose v12 room ID has no server part', () => {
    const state = buildRoom({ version: '12' });
    assert.equal(state.create.sender, ALICE);
    assert.ok(!ev('!hashOfCreate', 'm.room.message', BOB, {}).room_id.includes(':'));
  });
});
