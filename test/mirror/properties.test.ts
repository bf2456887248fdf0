import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  canBan, canChangePowerLevels, canKick, parseLevel, powerLevel, whoCanGrant, LEVEL_KEYS,
} from '../../src/mirror/auth/index.js';
import type { JsonObject } from '../../src/events/types.js';
import { MemoryRoomState } from '../../src/mirror/memory-state.js';
import { roomVersionRules } from '../../src/mirror/versions.js';
import { ev } from './helpers.js';

const USERS = ['@u0:a', '@u1:b', '@u2:c', '@u3:d', '@u4:e'];
const CREATOR = '@creator:a';
const CO_CREATOR = '@co:z';
const level = fc.integer({ min: -10, max: 120 });
const versionArb = fc.constantFrom('1', '6', '10', '11', '12');

const plContent = fc.record({
  users: fc.dictionary(fc.constantFrom(...USERS), level),
  users_default: fc.option(level, { nil: undefined }),
  state_default: fc.option(level, { nil: undefined }),
  ban: fc.option(level, { nil: undefined }),
  kick: fc.option(level, { nil: undefined }),
  events: fc.dictionary(fc.constantFrom('m.room.power_levels', 'm.room.name', 'm.room.message'), level),
}).map((c) => JSON.parse(JSON.stringify(c)) as JsonObject);

function roomWith(version: string, pl: JsonObject, creatorLevel = 100): MemoryRoomState {
  const roomId = version === '12' ? '!h' : '!r:a';
  const users = { ...(pl['users'] as JsonObject), ...(version === '12' ? {} : { [CREATOR]: creatorLevel }) };
  const createContent: JsonObject = { room_version: version };
  if (Number(version) <= 10) createContent['creator'] = CREATOR;
  if (version === '12') createContent['additional_creators'] = [CO_CREATOR];
  return new MemoryRoomState([
    ev(roomId, 'm.room.create', CREATOR, createContent, ''),
    ev(roomId, 'm.room.power_levels', CREATOR, { ...pl, users }, ''),
    ...[CREATOR, CO_CREATOR, ...USERS].map((u) => ev(roomId, 'm.room.member', u, { membership: 'join' }, u)),
  ]);
}

describe('mirror: invariants (fast-check)', () => {
  it('nobody can grant above their own level, nor touch a user at or above it', () => {
    fc.assert(fc.property(versionArb, plContent, plContent, fc.constantFrom(...USERS, CREATOR), (version, before, after, sender) => {
      const state = roomWith(version, before);
      const next: JsonObject = { ...after, users: { ...(after['users'] as JsonObject) } };
      if (version !== '12') (next['users'] as JsonObject)[CREATOR] = (state.powerLevels?.['users'] as JsonObject)[CREATOR];
      const verdict = canChangePowerLevels(state, sender, next);
      if (!verdict.allowed) return;
      const own = powerLevel(state, sender);
      const rules = roomVersionRules(version);
      const oldUsers = (state.powerLevels?.['users'] ?? {}) as JsonObject;
      const newUsers = (next['users'] ?? {}) as JsonObject;
      for (const user of new Set([...Object.keys(oldUsers), ...Object.keys(newUsers)])) {
        const was = parseLevel(oldUsers[user], rules);
        const now = parseLevel(newUsers[user], rules);
        if (was === now) continue;
        if (now !== undefined) assert.ok(now <= own, `granted ${user} ${now} above ${sender}'s ${own}`);
        if (user !== sender && was !== undefined) assert.ok(was < own, `changed ${user} at ${was} with only ${own}`);
      }
      for (const key of LEVEL_KEYS) {
        const was = parseLevel(state.powerLevels?.[key], rules);
        const now = parseLevel(next[key], rules);
        if (was !== now && now !== undefined) assert.ok(now <= own);
      }
    }), { numRuns: 400 });
  });

  it('in v12 a creator outranks everyone and no one else can remove a creator', () => {
    fc.assert(fc.property(plContent, fc.constantFrom(...USERS), (pl, other) => {
      const state = roomWith('12', pl);
      for (const creator of [CREATOR, CO_CREATOR]) {
        assert.ok(powerLevel(state, creator) > powerLevel(state, other));
        assert.equal(canKick(state, other, creator).allowed, false);
        assert.equal(canBan(state, other, creator).allowed, false);
        assert.equal(canBan(state, creator, other).allowed, true);
      }
      // Creators cannot act on each other either: neither is below the other.
      assert.equal(canKick(state, CREATOR, CO_CREATOR).allowed, false);
    }), { numRuns: 200 });
  });

  it('whoCanGrant only names grantors whose own level reaches the requested level', () => {
    fc.assert(fc.property(versionArb, plContent, fc.constantFrom(...USERS), fc.integer({ min: 0, max: 120 }), (version, pl, target, wanted) => {
      const state = roomWith(version, pl);
      const answer = whoCanGrant(state, target, wanted, USERS);
      if (!answer.possible) {
        assert.ok(answer.reason.length > 0);
        return;
      }
      for (const grantor of answer.grantors) assert.ok(powerLevel(state, grantor) >= wanted);
    }), { numRuns: 300 });
  });

  it('v10+ accept only integers as levels; v1–v9 read integer strings as their number', () => {
    fc.assert(fc.property(fc.integer({ min: -1000, max: 1000 }), (n) => {
      assert.equal(parseLevel(String(n), roomVersionRules('10')), undefined);
      assert.equal(parseLevel(n, roomVersionRules('10')), n);
      assert.equal(parseLevel(` ${n} `, roomVersionRules('9')), n);
    }));
  });
});
