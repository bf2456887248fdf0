import { strict as assert } from 'node:assert';
import type { TestBridge } from '../../src/testing/index.js';
import { call, newAsked, openIdToken, provisioningPlugin, SECRET, startBridge, type Asked } from './helpers.js';

const enc = encodeURIComponent;

describe('provisioning API: resolve, direct chats, bridging rooms, status', () => {
  let t: TestBridge;
  let asked: Asked;
  const as = (userId: string) => ({ token: SECRET, userId });

  before(async () => {
    asked = newAsked();
    t = await startBridge(provisioningPlugin(asked));
  });
  after(() => t.stop());

  it('resolves a remote identifier to the person and their ghost (registered, named)', async () => {
    await t.user('alice');
    const found = await call(t.bridge.url, 'GET', '/resolve/Carol', as('@alice:localhost'));
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.deepEqual(found.body, { id: 'carol', mxid: '@_test_carol:localhost', displayname: 'Carol Remote' });
    assert.equal(t.hs.user('@_test_carol:localhost')?.displayname, 'Carol Remote');
    const nobody = await call(t.bridge.url, 'GET', '/resolve/zed', as('@alice:localhost'));
    assert.deepEqual([nobody.status, nobody.body['errcode']], [404, 'M_NOT_FOUND']);
  });

  it('starts a direct chat: the portal is made once, the ghost is in it, the caller invited; a second call finds it', async () => {
    const alice = await t.user('alice');
    const first = await call(t.bridge.url, 'POST', '/dm/dave', { token: await openIdToken(alice) });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const roomId = first.body['room_id'] as string;
    assert.equal(first.body['just_created'], true);
    assert.equal(first.body['mxid'], '@_test_dave:localhost');
    assert.deepEqual(asked.dms.map((d) => [d.user.id, d.caller.userId]), [['dave', alice.userId]]);
    const members = t.hs.memberships(roomId);
    assert.equal(members[alice.userId], 'invite');
    assert.equal(members['@_test_dave:localhost'], 'join');
    const create = t.hs.stateEvent(roomId, 'm.room.member', alice.userId);
    assert.equal(create?.content['is_direct'], true);

    await alice.client.join(roomId);
    await alice.client.leave(roomId);
    await t.settled();
    const again = await call(t.bridge.url, 'POST', '/dm/dave', as(alice.userId));
    assert.equal(again.status, 200);
    assert.deepEqual([again.body['room_id'], again.body['just_created']], [roomId, false]);
    // Left, so invited again.
    assert.equal(t.hs.memberships(roomId)[alice.userId], 'invite');
    const resolved = await call(t.bridge.url, 'GET', '/resolve/dave', as(alice.userId));
    assert.equal(resolved.body['dm_room_id'], roomId);
  });

  it('bridges a room the caller may change and the bot was invited to, then unbridges it', async () => {
    const alice = await t.user('alice');
    const roomId = await alice.client.createRoom({ name: 'Team', invite: [t.botUserId] });
    const answer = await call(t.bridge.url, 'POST', `/rooms/${enc(roomId)}/bridge`, { ...as(alice.userId), body: { channel: 'team' } });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, { room_id: roomId, channel_id: '#team', note: 'bridged by the test plugin' });
    assert.equal(t.hs.memberships(roomId)[t.botUserId], 'join');
    assert.deepEqual(asked.bridged.map((b) => [b.roomId, b.channel, b.caller.userId]), [[roomId, 'team', alice.userId]]);

    const gone = await call(t.bridge.url, 'DELETE', `/rooms/${enc(roomId)}/bridge`, as(alice.userId));
    assert.equal(gone.status, 200, JSON.stringify(gone.body));
    const again = await call(t.bridge.url, 'DELETE', `/rooms/${enc(roomId)}/bridge`, as(alice.userId));
    assert.deepEqual([again.status, again.body['errcode']], [404, 'M_NOT_FOUND']);
  });

  it('refuses to bridge for a caller without the power to change the room\'s bridges (403), unless an admin', async () => {
    const alice = await t.user('alice');
    const bob = await t.user('bob');
    const roomId = await alice.client.createRoom({ preset: 'public_chat', invite: [t.botUserId] });
    await bob.client.join(roomId);
    await t.settled();
    const count = asked.bridged.length;
    const refused = await call(t.bridge.url, 'POST', `/rooms/${enc(roomId)}/bridge`, { ...as(bob.userId), body: { channel: 'x' } });
    assert.deepEqual([refused.status, refused.body['errcode']], [403, 'M_FORBIDDEN']);
    assert.match(String(refused.body['error']), /power/);
    const unbridge = await call(t.bridge.url, 'DELETE', `/rooms/${enc(roomId)}/bridge`, as(bob.userId));
    assert.deepEqual([unbridge.status, unbridge.body['errcode']], [403, 'M_FORBIDDEN']);
    assert.equal(asked.bridged.length, count);
    const admin = await call(t.bridge.url, 'POST', `/rooms/${enc(roomId)}/bridge`, { ...as('@admin:localhost'), body: { channel: 'x' } });
    assert.equal(admin.status, 200);
  });

  it('refuses to bridge a room the bot cannot join (403, invite it first), and one the caller is not in', async () => {
    const alice = await t.user('alice');
    const bob = await t.user('bob');
    const closed = await alice.client.createRoom({});
    const answer = await call(t.bridge.url, 'POST', `/rooms/${enc(closed)}/bridge`, { ...as(alice.userId), body: { channel: 'x' } });
    assert.deepEqual([answer.status, answer.body['errcode']], [403, 'M_FORBIDDEN']);
    assert.match(String(answer.body['error']), /invite/);
    const roomId = await alice.client.createRoom({ invite: [t.botUserId] });
    const outsider = await call(t.bridge.url, 'POST', `/rooms/${enc(roomId)}/bridge`, { ...as(bob.userId), body: { channel: 'x' } });
    assert.deepEqual([outsider.status, outsider.body['errcode']], [403, 'M_FORBIDDEN']);
  });

  it('makes the bot leave a public room again when the caller who had it join may not bridge it', async () => {
    const alice = await t.user('alice');
    const bob = await t.user('bob');
    const roomId = await alice.client.createRoom({ preset: 'public_chat' });
    await bob.client.join(roomId);
    const refused = await call(t.bridge.url, 'POST', `/rooms/${enc(roomId)}/bridge`, { ...as(bob.userId), body: { channel: 'x' } });
    assert.deepEqual([refused.status, refused.body['errcode']], [403, 'M_FORBIDDEN']);
    assert.equal(t.hs.memberships(roomId)[t.botUserId], 'leave');
  });

  it('answers bad input with {errcode, error}: not JSON, a wrong body, a bad room id, an unknown room', async () => {
    const url = t.bridge.url;
    const roomPath = `/rooms/${enc('!abc:localhost')}/bridge`;
    const notJson = await call(url, 'POST', roomPath, { ...as('@alice:localhost'), rawBody: '{"channel":' });
    assert.deepEqual([notJson.status, notJson.body['errcode']], [400, 'M_NOT_JSON']);
    const noChannel = await call(url, 'POST', roomPath, { ...as('@alice:localhost'), body: {} });
    assert.deepEqual([noChannel.status, noChannel.body['errcode']], [400, 'M_BAD_JSON']);
    assert.match(String(noChannel.body['error']), /channel/);
    const wrongType = await call(url, 'POST', roomPath, { ...as('@alice:localhost'), body: { channel: 5 } });
    assert.deepEqual([wrongType.status, wrongType.body['errcode']], [400, 'M_BAD_JSON']);
    const extra = await call(url, 'POST', roomPath, { ...as('@alice:localhost'), body: { channel: 'a', surprise: true } });
    assert.deepEqual([extra.status, extra.body['errcode']], [400, 'M_BAD_JSON']);
    const badRoom = await call(url, 'POST', '/rooms/not-a-room/bridge', { ...as('@alice:localhost'), body: { channel: 'a' } });
    assert.deepEqual([badRoom.status, badRoom.body['errcode']], [400, 'M_INVALID_PARAM']);
    const unknown = await call(url, 'DELETE', roomPath, as('@alice:localhost'));
    assert.deepEqual([unknown.status, unknown.body['errcode']], [404, 'M_NOT_FOUND']);
    for (const answer of [notJson, noChannel, wrongType, extra, badRoom, unknown]) assert.equal(typeof answer.body['error'], 'string');
  });

  it('reports the bridge\'s state and that it has no logins; the login routes answer 501', async () => {
    const status = await call(t.bridge.url, 'GET', '/status', as('@alice:localhost'));
    assert.deepEqual(status.body, { bridge: { plugin: 'provtest', state: 'running' }, user: { user_id: '@alice:localhost', admin: false }, logins_supported: false, logins: [], connections: [] });
    const admin = await call(t.bridge.url, 'GET', '/status', as('@admin:localhost'));
    assert.deepEqual(admin.body['user'], { user_id: '@admin:localhost', admin: true });
    const flows = await call(t.bridge.url, 'GET', '/login/flows', as('@alice:localhost'));
    assert.deepEqual([flows.status, flows.body['errcode']], [501, 'M_UNRECOGNIZED']);
  });
});

describe('provisioning API: a plugin without provisioning hooks', () => {
  let t: TestBridge;
  before(async () => {
    t = await startBridge(provisioningPlugin(newAsked(), { hooks: false }));
  });
  after(() => t.stop());

  it('answers 501 M_UNRECOGNIZED for resolve, DM, bridge and unbridge', async () => {
    const as = { token: SECRET, userId: '@alice:localhost' };
    const room = `/rooms/${enc('!r:localhost')}/bridge`;
    for (const [method, path, body] of [['GET', '/resolve/x', undefined], ['POST', '/dm/x', undefined], ['POST', room, { channel: 'c' }], ['DELETE', room, undefined]] as const) {
      const answer = await call(t.bridge.url, method, path, { ...as, ...(body ? { body } : {}) });
      assert.deepEqual([answer.status, answer.body['errcode']], [501, 'M_UNRECOGNIZED'], `${method} ${path}`);
    }
  });
});

describe('provisioning API: the bridge\'s own state', () => {
  it('is degraded, saying why, while the homeserver does not answer', async () => {
    const t = await startBridge(provisioningPlugin(newAsked()));
    try {
      await t.hs.stop();
      const status = await call(t.bridge.url, 'GET', '/status', { token: SECRET, userId: '@alice:localhost' });
      assert.equal(status.status, 200);
      const bridge = status.body['bridge'] as Record<string, unknown>;
      assert.equal(bridge['state'], 'degraded');
      assert.match(String(bridge['message']), /homeserver/);
    } finally {
      await t.stop();
    }
  });
});
