import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntil } from '../../../src/testing/index.js';
import { channel, RemoteHarness, user } from './harness.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('remote → Matrix: presence and profiles', function () {
  this.timeout(30_000);
  let h: RemoteHarness;

  beforeEach(async () => { h = await RemoteHarness.start({ presenceRefreshMs: 150 }); });
  afterEach(async () => { await h.close(); });

  it('coalesces unchanged presence, refreshes it while it lasts, and stops at offline', async () => {
    const ghost = h.ghost('olga');
    const presencePuts = (mark: number) => h.requestsSince(mark, 'PUT', `/presence/`).length;
    const mark = h.mark();
    assert.equal((await h.plugin.push({ kind: 'presence', sender: user('olga'), presence: 'online', statusMsg: 'here' })).duplicate, false);
    assert.equal((await h.plugin.push({ kind: 'presence', sender: user('olga'), presence: 'online', statusMsg: 'here' })).duplicate, true);
    assert.equal(presencePuts(mark), 1, 'an unchanged presence is not sent again');
    assert.equal(h.hs.user(ghost)?.presence, 'online');
    assert.equal(h.hs.user(ghost)?.statusMsg, 'here');

    await h.plugin.push({ kind: 'presence', sender: user('olga'), presence: 'online', statusMsg: 'busy' });
    assert.equal(presencePuts(mark), 2, 'a new status message is a change');

    const beforeRefresh = h.mark();
    await waitUntil(() => presencePuts(beforeRefresh) >= 2, 3_000, 'two refreshes');

    await h.plugin.push({ kind: 'presence', sender: user('olga'), presence: 'offline' });
    assert.equal(h.hs.user(ghost)?.presence, 'offline');
    const afterOffline = h.mark();
    await sleep(500);
    assert.equal(presencePuts(afterOffline), 0, 'offline is not refreshed');
  });

  it('updates the global profile and the member event in every joined portal, keeping per-room names', async () => {
    const ghost = h.ghost('pat');
    const a = await h.plugin.push({ kind: 'message', channel: channel('p1'), sender: user('pat', 'Pat'), id: '1', text: 'x' });
    const b = await h.plugin.push({ kind: 'message', channel: channel('p2'), sender: user('pat', 'Pat'), id: '2', text: 'x' });
    const c = await h.plugin.push({ kind: 'message', channel: channel('p3'), sender: user('pat', 'Pat'), id: '3', text: 'x' });
    const [roomA, roomB, roomC] = [a.roomId!, b.roomId!, c.roomId!];
    await h.plugin.ctx.puppets.get(ghost).setRoomProfile(roomC, { displayname: 'Pat (moderator)' });
    await h.hs.waitForPushIdle();
    await waitUntil(async () => (await (await h.bridge.mirror.room(roomC))?.member(ghost))?.displayname === 'Pat (moderator)', 5_000, 'the per-room name in the mirror');

    const mark = h.mark();
    await h.plugin.push({ kind: 'profile', sender: { id: 'pat', displayName: 'Patricia', avatarUrl: 'mxc://localhost/patricia' } });
    assert.equal(h.hs.user(ghost)?.displayname, 'Patricia');
    assert.equal(h.hs.user(ghost)?.avatarUrl, 'mxc://localhost/patricia');
    for (const roomId of [roomA, roomB]) {
      const member = h.hs.stateEvent(roomId, 'm.room.member', ghost)?.content;
      assert.equal(member?.['displayname'], 'Patricia');
      assert.equal(member?.['avatar_url'], 'mxc://localhost/patricia');
    }
    const kept = h.hs.stateEvent(roomC, 'm.room.member', ghost)?.content;
    assert.equal(kept?.['displayname'], 'Pat (moderator)', 'a per-room name is kept');
    assert.equal(kept?.['avatar_url'], 'mxc://localhost/patricia');

    // The same profile again, in a profile event or as a message's sender, costs nothing.
    const again = h.mark();
    await h.plugin.push({ kind: 'profile', sender: { id: 'pat', displayName: 'Patricia', avatarUrl: 'mxc://localhost/patricia' } });
    await h.plugin.push({ kind: 'message', channel: channel('p1'), sender: user('pat', 'Patricia'), id: '4', text: 'y' });
    assert.equal(h.requestsSince(again, 'PUT', '/profile/').length, 0);
    assert.equal(h.requestsSince(again, 'PUT', '/state/m.room.member/').length, 0);
    assert.ok(h.requestsSince(mark, 'PUT', '/displayname').length === 1);
  });

  it('downloads an http(s) avatar once per URL and uploads it once per content', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits += 1;
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const avatarUrl = `http://127.0.0.1:${port}/vic.png`;
      // By default a remote party's URL may not reach the bridge's own host: nothing is fetched.
      await h.plugin.push({ kind: 'profile', sender: { id: 'refused', avatarUrl } });
      assert.equal(hits, 0, 'a loopback avatar is refused before connecting');
      assert.equal(h.hs.user(h.ghost('refused'))?.avatarUrl, undefined);
      // The operator's opt-in (outbound.allowPrivateTargets) lets it through.
      await h.close();
      h = await RemoteHarness.start({ presenceRefreshMs: 150, allowPrivateTargets: true });
      const ghost = h.ghost('vic');
      const mark = h.mark();
      await h.plugin.push({ kind: 'message', channel: channel('avatars', { avatarUrl }), sender: { id: 'vic', avatarUrl }, id: 'v1', text: 'x' });
      await h.plugin.push({ kind: 'message', channel: channel('avatars', { avatarUrl }), sender: { id: 'vic', avatarUrl }, id: 'v2', text: 'y' });
      await h.plugin.push({ kind: 'profile', sender: { id: 'vic', avatarUrl } });
      assert.equal(hits, 2, 'one download for the ghost, one for the portal; none when unchanged');
      assert.equal(h.requestsSince(mark, 'POST', '/upload').length, 2);
      const mxc = h.hs.user(ghost)?.avatarUrl;
      assert.match(mxc ?? '', /^mxc:\/\//);
      const roomId = await h.plugin.ctx.mappings.roomForChannel('avatars');
      assert.match(String(h.hs.stateEvent(roomId!, 'm.room.avatar')?.content['url']), /^mxc:\/\//);
      assert.equal(h.hs.stateEvent(roomId!, 'm.room.member', ghost)?.content['avatar_url'], mxc);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('delivers Matrix presence to the plugin only for users sharing a portal', async () => {
    const portal = await h.plugin.push({ kind: 'message', channel: channel('lobby'), sender: user('quinn'), id: 'q', text: 'x' });
    const inPortal = await h.humanInPortal('rita', portal.roomId!);

    // Sam shares a room with the bot, but not a portal.
    const sam = await h.hs.registerUser('sam');
    const plainRoom = await sam.client.createRoom({ invite: [h.bridge.puppets.bot.userId] });
    // The bot joins on the invite by itself (bot.invites allows the homeserver's own users).
    await waitUntil(() => h.hs.memberships(plainRoom)[h.bridge.puppets.bot.userId] === 'join', 5_000, 'the bot to join');
    await h.waitForMirrorJoin(plainRoom, h.bridge.puppets.bot.userId);
    // Rita is in that room too, so her presence keeps coming after she leaves the portal.
    await sam.client.invite(plainRoom, inPortal.userId);
    await inPortal.client.join(plainRoom);

    await sam.client.presence('online', 'sam here');
    await inPortal.client.presence('unavailable', 'rita away');
    await waitUntil(() => h.plugin.presence.find((p) => p.userId === inPortal.userId), 5_000, "rita's presence");
    await h.hs.waitForPushIdle();
    await h.bridge.inbox.drained();
    await sleep(200);
    assert.ok(h.hs.transactionsSent.some((t) => JSON.stringify(t.body).includes('sam here')), "the homeserver did send Sam's presence");
    assert.deepEqual(h.plugin.presence.map((p) => p.userId), [inPortal.userId]);
    const rita = h.plugin.presence[0];
    assert.equal(rita?.presence, 'unavailable');
    assert.equal(rita?.statusMsg, 'rita away');
    assert.equal(typeof rita?.lastActiveAgo, 'number');

    // Once Rita leaves the portal, her presence no longer goes to the plugin.
    await inPortal.client.leave(portal.roomId!);
    await waitUntil(async () => (await (await h.bridge.mirror.room(portal.roomId!))?.membership(inPortal.userId)) === 'leave', 5_000, 'rita left');
    const pushed = h.hs.transactionsSent.length;
    await inPortal.client.presence('online');
    await h.hs.waitForTransaction((t) => JSON.stringify(t.body).includes('"presence":"online"') && JSON.stringify(t.body).includes(inPortal.userId) && h.hs.transactionsSent.indexOf(t) >= pushed, 5_000);
    await h.hs.waitForPushIdle();
    await h.bridge.inbox.drained();
    await sleep(200);
    assert.equal(h.plugin.presence.length, 1);
  });
});
