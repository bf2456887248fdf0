import assert from 'node:assert/strict';
import { channel, RemoteHarness, user } from './harness.js';

describe('remote → Matrix: memberships, typing, read markers and channel info', function () {
  this.timeout(30_000);
  let h: RemoteHarness;

  beforeEach(async () => { h = await RemoteHarness.start(); });
  afterEach(async () => { await h.close(); });

  it('joins and leaves as the ghost; a kick without the power is refused and reported', async () => {
    const chan = channel('members');
    const joined = await h.plugin.push({ kind: 'membership', channel: chan, sender: user('ivy', 'Ivy'), membership: 'join' });
    const roomId = joined.roomId!;
    assert.equal(h.hs.memberships(roomId)[h.ghost('ivy')], 'join');
    await h.plugin.push({ kind: 'membership', channel: chan, sender: user('jon'), membership: 'join' });
    await h.waitForMirrorJoin(roomId, h.ghost('jon'));
    await h.waitForMirrorJoin(roomId, h.ghost('ivy'));

    const refused = await h.plugin.push({ kind: 'membership', channel: chan, sender: user('ivy'), membership: 'kick', target: user('jon'), reason: 'spam' });
    assert.match(refused.refused ?? '', /may not kick/);
    assert.equal(h.hs.memberships(roomId)[h.ghost('jon')], 'join', 'nothing changed');

    await h.plugin.ctx.puppets.get(h.ghost('ivy')).ensurePowerLevel(roomId, 50);
    await h.hs.waitForPushIdle();
    const kicked = await h.plugin.push({ kind: 'membership', channel: chan, sender: user('ivy'), membership: 'kick', target: user('jon'), reason: 'spam' });
    assert.equal(kicked.refused, undefined);
    assert.equal(h.hs.memberships(roomId)[h.ghost('jon')], 'leave');
    const kick = h.hs.stateEvent(roomId, 'm.room.member', h.ghost('jon'));
    assert.equal(kick?.sender, h.ghost('ivy'));
    assert.equal(kick?.content['reason'], 'spam');

    await h.plugin.push({ kind: 'membership', channel: chan, sender: user('ivy'), membership: 'leave' });
    assert.equal(h.hs.memberships(roomId)[h.ghost('ivy')], 'leave');
  });

  it('types and marks as read as the ghost', async () => {
    const chan = channel('activity');
    const message = await h.plugin.push({ kind: 'message', channel: chan, sender: user('kim'), id: 'k1', text: 'hi' });
    const roomId = message.roomId!;
    await h.plugin.push({ kind: 'typing', channel: chan, sender: user('lou'), typing: true });
    assert.deepEqual(h.hs.typing(roomId), [h.ghost('lou')]);
    await h.plugin.push({ kind: 'typing', channel: chan, sender: user('lou'), typing: false });
    assert.deepEqual(h.hs.typing(roomId), []);
    const read = await h.plugin.push({ kind: 'read', channel: chan, sender: user('lou'), upToId: 'k1' });
    assert.equal(read.eventId, message.eventId);
    const receipts = h.requestsSince(0, 'POST', '/receipt/m.read/');
    assert.equal(receipts.length, 1);
    assert.equal(receipts[0]?.status, 200);
  });

  it('creates a portal as a DM with invites, and updates name and topic only when they change', async () => {
    const human = await h.hs.registerUser('max');
    const dm = await h.plugin.push({ kind: 'channel', channel: { id: 'dm-max', name: 'Max', isDirect: true, invite: [human.userId] } });
    const roomId = dm.roomId!;
    assert.equal(h.hs.memberships(roomId)[human.userId], 'invite');
    assert.equal(h.hs.stateEvent(roomId, 'm.room.member', human.userId)?.content['is_direct'], true);

    const chan = channel('info', { topic: 'old topic' });
    const first = await h.plugin.push({ kind: 'message', channel: chan, sender: user('ned'), id: 'n1', text: 'x' });
    await h.hs.waitForPushIdle();
    const mark = h.mark();
    const same = await h.plugin.push({ kind: 'channel', channel: chan });
    assert.equal(same.duplicate, true);
    assert.equal(h.requestsSince(mark, 'PUT', '/state/').length, 0, 'nothing sent when nothing changed');
    const renamed = await h.plugin.push({ kind: 'channel', channel: { ...chan, name: 'Renamed', topic: 'new topic' }, sender: user('ned') });
    assert.equal(h.hs.stateEvent(first.roomId!, 'm.room.name')?.content['name'], 'Renamed');
    assert.equal(h.hs.stateEvent(first.roomId!, 'm.room.topic')?.content['topic'], 'new topic');
    assert.ok(renamed.eventId);
  });
});
