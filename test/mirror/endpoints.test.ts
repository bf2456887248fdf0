import assert from 'node:assert/strict';
import {
  authRule, authRules, canBan, canChangeMembership, canChangePowerLevels, canInvite, canKick, canRedact, canSendMessage,
  canSendState, canSetUserLevel, EndpointRules, MAX_EVENT_BYTES, serverAllowedByAcl, type Verdict,
} from '../../src/mirror/auth/index.js';
import { roomVersionRules } from '../../src/mirror/versions.js';
import { ALICE, BOB, CAROL, DAVE, ERIN, FRANK, MOD, buildRoom, standardPowerLevels } from './helpers.js';

const GONE = '@gone:g';

function refusedBy(verdict: Verdict, rule: string): void {
  assert.equal(verdict.allowed, false, 'refused');
  if (!verdict.allowed) assert.equal(verdict.rule, rule);
}

/** The `can…` exports predict the client-server endpoints; `authRules.can…` keep the auth rules' answer. */
describe('mirror: endpoint predictions on top of the auth rules', () => {
  const room = (version = '11') => buildRoom({
    version,
    members: { [MOD]: 'join', [BOB]: 'join', [CAROL]: 'invite', [DAVE]: 'ban', [ERIN]: 'knock', [GONE]: 'leave' },
  });

  it('/kick refuses a target who is banned, has left or was never in the room; the auth rules take those', () => {
    for (const target of [DAVE, GONE, FRANK]) {
      refusedBy(canKick(room(), ALICE, target), EndpointRules.kickTarget);
      // The auth rules take all three (for the banned one a leave is an unban, and alice has the ban level).
      assert.equal(authRules.canKick(room(), ALICE, target).allowed, true, `auth rules allow kicking ${target}`);
    }
    for (const target of [BOB, CAROL, ERIN]) assert.equal(canKick(room(), ALICE, target).allowed, true, `${target} can be kicked`);
  });

  it('a ban needs no membership: a user who never joined can be banned; a banned user cannot be invited', () => {
    assert.equal(canBan(room(), ALICE, FRANK).allowed, true);
    assert.equal(canInvite(room(), ALICE, DAVE).allowed, false);
  });

  for (const version of ['1', '6', '11']) {
    it(`power levels are integers only through the API, even in v${version} whose auth rules read "50"`, () => {
      const strings = { ...standardPowerLevels(version), ban: '50' };
      const fraction = { ...standardPowerLevels(version), users: { [MOD]: 50.5 } };
      for (const next of [strings, fraction]) {
        refusedBy(canChangePowerLevels(room(version), ALICE, next), EndpointRules.integerLevels);
      }
      const byRules = authRules.canChangePowerLevels(room(version), ALICE, strings).allowed;
      assert.equal(byRules, version !== '11', 'v1 and v6 auth rules accept an integer string; v10+ do not');
      assert.equal(canChangePowerLevels(room(version), ALICE, { ...standardPowerLevels(version), ban: 60 }).allowed, true);
      refusedBy(canSetUserLevel(room(version), ALICE, BOB, 1.5), EndpointRules.integerLevels);
    });
  }

  it('the create event and the server ACL cannot be redacted; other events follow the redact level', () => {
    refusedBy(canRedact(room(), ALICE, ALICE, 'm.room.create'), EndpointRules.redactCreate);
    refusedBy(canRedact(room(), ALICE, ALICE, 'm.room.server_acl'), EndpointRules.redactServerAcl);
    assert.equal(authRules.canRedact(room(), ALICE, ALICE).allowed, true);
    assert.equal(canRedact(room(), ALICE, BOB, 'm.room.message').allowed, true);
    assert.equal(canRedact(room(), BOB, ALICE, 'm.room.message').allowed, false);
  });

  it('an event over 65536 bytes, or a type or state key over 255 bytes, is refused', () => {
    const big = { msgtype: 'm.text', body: 'x'.repeat(MAX_EVENT_BYTES) };
    refusedBy(canSendMessage(room(), BOB, 'm.room.message', big), EndpointRules.eventSize);
    assert.equal(canSendMessage(room(), BOB, 'm.room.message', { msgtype: 'm.text', body: 'x'.repeat(60_000) }).allowed, true);
    refusedBy(canSendMessage(room(), BOB, `m.${'x'.repeat(254)}`, {}), EndpointRules.eventSize);
    refusedBy(canSendState(room(), ALICE, 'm.custom', 'é'.repeat(128), {}), EndpointRules.eventSize);
  });

  it('content the endpoints validate: message body and msgtype, topic, m.mentions, retention, displayname length', () => {
    refusedBy(canSendMessage(room(), BOB, 'm.room.message', { msgtype: 'm.text', body: 5 }), EndpointRules.content);
    refusedBy(canSendState(room(), ALICE, 'm.room.topic', '', { topic: ['no'] }), EndpointRules.content);
    refusedBy(canSendMessage(room(), BOB, 'm.room.message', { msgtype: 'm.text', body: 'hi', 'm.mentions': { user_ids: [1] } }), EndpointRules.mentions);
    refusedBy(canSendState(room(), ALICE, 'm.room.retention', '', { min_lifetime: 10, max_lifetime: 5 }), EndpointRules.retention);
    refusedBy(canChangeMembership(room(), BOB, BOB, 'join', { displayname: 'n'.repeat(257) }), EndpointRules.memberProfile);
    assert.equal(canChangeMembership(room(), BOB, BOB, 'join', { displayname: 'n'.repeat(256) }).allowed, true);
    assert.equal(authRules.canSendState(room(), ALICE, 'm.room.topic', '', { topic: ['no'] }).allowed, true);
  });

  it('a server ACL may not deny the sender\'s own server', () => {
    refusedBy(canSendState(room(), ALICE, 'm.room.server_acl', '', { allow: ['*'], deny: ['a'] }), EndpointRules.serverAcl);
    refusedBy(canSendState(room(), ALICE, 'm.room.server_acl', '', { allow: ['b'] }), EndpointRules.serverAcl);
    assert.equal(canSendState(room(), ALICE, 'm.room.server_acl', '', { allow: ['*'], deny: ['evil.example'] }).allowed, true);
    assert.equal(serverAllowedByAcl({ allow: ['*.example.org'] }, 'chat.example.org:8448'), true);
    assert.equal(serverAllowedByAcl({ allow: ['*'], allow_ip_literals: false }, '127.0.0.1:8448'), false);
    assert.equal(serverAllowedByAcl({ allow: ['?.org'] }, 'ab.org'), false);
  });
});

describe('mirror: canSetUserLevel, the rule a command acting for someone asks', () => {
  // carol 75, mallory 50, the bot 100: the repro.
  const MALLORY = '@mallory:m';
  const BOT = '@bot:b';
  const CURRENT = authRule(roomVersionRules('11'), 'pl.usersCurrent');
  const NEW = authRule(roomVersionRules('11'), 'pl.usersNew');
  const state = (extra = {}) => buildRoom({
    version: '11',
    powerLevels: { users: { [ALICE]: 100, [BOT]: 100, [CAROL]: 75, [MALLORY]: 50, [MOD]: 50 }, ...extra },
    members: { [BOT]: 'join', [CAROL]: 'join', [MALLORY]: 'join', [MOD]: 'join', [BOB]: 'join' },
  });

  it('refuses changing someone at or above the sender, or granting above the sender', () => {
    refusedBy(canSetUserLevel(state(), MALLORY, CAROL, 0), CURRENT);
    refusedBy(canSetUserLevel(state(), MALLORY, MOD, 0), CURRENT);
    refusedBy(canSetUserLevel(state(), MALLORY, BOB, 51), NEW);
    assert.equal(canSetUserLevel(state(), MALLORY, BOB, 50).allowed, true);
    assert.equal(canSetUserLevel(state(), MALLORY, MALLORY, 10).allowed, true, 'one may lower oneself');
    refusedBy(canSetUserLevel(state(), MALLORY, MALLORY, 60), NEW);
    assert.equal(canSetUserLevel(state(), BOT, CAROL, 0).allowed, true);
  });

  it('counts an unlisted user at users_default, stricter than the auth rules', () => {
    refusedBy(canSetUserLevel(state({ users_default: 60 }), MALLORY, BOB, 0), CURRENT);
  });

  it('v12: a creator\'s level cannot be changed by anyone', () => {
    const v12 = buildRoom({ version: '12', members: { [MOD]: 'join' } });
    refusedBy(canSetUserLevel(v12, MOD, ALICE, 0), authRule(roomVersionRules('12'), 'pl.creators'));
  });
});
