import assert from 'node:assert/strict';
import type { RoomEvent } from '../../src/events/types.js';
import { parseLevel, powerLevel, resolvePowerLevels } from '../../src/mirror/auth/index.js';
import { redactEvent } from '../../src/mirror/redaction.js';
import { roomVersionRules } from '../../src/mirror/versions.js';
import { ALICE, BOB, buildRoom } from './helpers.js';

describe('mirror: power-level values by room version', () => {
  const v = (id: string) => roomVersionRules(id);
  it('strings are levels in v1–v9 (spec fragment "stringy power levels"), not from v10', () => {
    assert.equal(parseLevel('50', v('1')), 50);
    assert.equal(parseLevel(' +0100 ', v('6')), 100);
    assert.equal(parseLevel('-5', v('9')), -5);
    assert.equal(parseLevel('50', v('10')), undefined);
    assert.equal(parseLevel('5.5', v('6')), undefined);
  });
  it('floats are truncated in v1–v5 ("floaty power levels"), refused from v6', () => {
    assert.equal(parseLevel(50.57, v('1')), 50);
    assert.equal(parseLevel(-0.5, v('5')), 0);
    assert.equal(parseLevel(50.57, v('6')), undefined);
    assert.equal(parseLevel(Number.NaN, v('1')), undefined);
  });
  it('fills in the spec defaults for missing keys', () => {
    const pl = resolvePowerLevels({}, v('11'));
    assert.deepEqual(pl.levels, { users_default: 0, events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0 });
  });
  it('reads users entries through the version\'s value rules', () => {
    for (const [version, expected] of [['1', 60], ['6', 60], ['10', 0], ['11', 0]] as const) {
      const state = buildRoom({ version, powerLevels: { users: { [BOB]: '60' } } });
      assert.equal(powerLevel(state, BOB), expected, `v${version}`);
    }
  });
  it('no power-levels event: creator 100 (infinite in v12), everyone else 0', () => {
    for (const version of ['1', '6', '10', '11', '12']) {
      const state = buildRoom({ version, powerLevels: null });
      assert.equal(powerLevel(state, ALICE), version === '12' ? Number.POSITIVE_INFINITY : 100);
      assert.equal(powerLevel(state, BOB), 0);
    }
  });
});

describe('mirror: redaction algorithm by room version', () => {
  const base = { event_id: '$e', room_id: '!r:a', sender: ALICE, origin_server_ts: 1, state_key: '' };
  const redacted = (type: string, content: Record<string, unknown>, version: string, extra: Record<string, unknown> = {}) =>
    redactEvent({ ...base, type, content, ...extra } as RoomEvent, version);

  it('m.room.create keeps only creator up to v10, all content from v11', () => {
    assert.deepEqual(redacted('m.room.create', { creator: ALICE, room_version: '10', type: 'm.space' }, '10').content, { creator: ALICE });
    assert.deepEqual(redacted('m.room.create', { room_version: '11', type: 'm.space' }, '11').content, { room_version: '11', type: 'm.space' });
  });
  it('power levels keep invite from v11', () => {
    const content = { ban: 50, invite: 50, notifications: { room: 10 }, users: { [ALICE]: 100 } };
    assert.deepEqual(redacted('m.room.power_levels', content, '10').content, { ban: 50, users: { [ALICE]: 100 } });
    assert.deepEqual(redacted('m.room.power_levels', content, '11').content, { ban: 50, invite: 50, users: { [ALICE]: 100 } });
  });
  it('join rules keep allow from v8; member keeps join_authorised_via_users_server from v9, third_party_invite.signed from v11', () => {
    const allow = [{ type: 'm.room_membership', room_id: '!s:a' }];
    assert.deepEqual(redacted('m.room.join_rules', { join_rule: 'restricted', allow }, '6').content, { join_rule: 'restricted' });
    assert.deepEqual(redacted('m.room.join_rules', { join_rule: 'restricted', allow }, '10').content, { join_rule: 'restricted', allow });
    const member = { membership: 'join', displayname: 'A', join_authorised_via_users_server: BOB, third_party_invite: { signed: { x: 1 }, display_name: 'd' } };
    assert.deepEqual(redacted('m.room.member', member, '6').content, { membership: 'join' });
    assert.deepEqual(redacted('m.room.member', member, '10').content, { membership: 'join', join_authorised_via_users_server: BOB });
    assert.deepEqual(redacted('m.room.member', member, '11').content,
      { membership: 'join', join_authorised_via_users_server: BOB, third_party_invite: { signed: { x: 1 } } });
  });
  it('aliases keep their list up to v5 only; redaction events keep redacts from v11', () => {
    assert.deepEqual(redacted('m.room.aliases', { aliases: ['#a:a'] }, '5').content, { aliases: ['#a:a'] });
    assert.deepEqual(redacted('m.room.aliases', { aliases: ['#a:a'] }, '6').content, {});
    assert.deepEqual(redacted('m.room.redaction', { redacts: '$x', reason: 'r' }, '10').content, {});
    assert.deepEqual(redacted('m.room.redaction', { redacts: '$x', reason: 'r' }, '11').content, { redacts: '$x' });
  });
  it('drops legacy top-level fields; keeps origin/membership up to v10 only', () => {
    const event = redacted('m.room.member', { membership: 'join' }, '10', {
      prev_content: { membership: 'invite' }, age: 3, user_id: ALICE, origin: 'a', membership: 'join', unsigned: { age: 3, replaces_state: '$p' },
    }) as unknown as Record<string, unknown>;
    assert.equal(event['prev_content'], undefined);
    assert.equal(event['age'], undefined);
    assert.equal(event['user_id'], undefined);
    assert.equal(event['origin'], 'a');
    assert.deepEqual(event['unsigned'], { replaces_state: '$p' });
    const v11 = redacted('m.room.member', { membership: 'join' }, '11', { origin: 'a', membership: 'join' }) as unknown as Record<string, unknown>;
    assert.equal(v11['origin'], undefined);
    assert.equal(v11['membership'], undefined);
  });
  it('custom state loses all content', () => {
    assert.deepEqual(redacted('com.example.x', { a: 1 }, '11').content, {});
  });
});
