import { strict as assert } from 'node:assert';
import { PermissionDenied } from '../../src/puppets/index.js';
import { ALICE_PUPPET, Harness, botRoom } from './harness.js';

describe('puppets: profile', () => {
  let h: Harness;
  beforeEach(async () => { h = await Harness.start(); });
  afterEach(() => h.close());

  it('sets the global displayname, with no request when unchanged', async () => {
    const alice = h.puppets.get(ALICE_PUPPET);
    const mark = h.mark();
    await alice.setDisplayName('Alice (Remote)');
    await alice.setDisplayName('Alice (Remote)');
    assert.equal(h.hs.user(ALICE_PUPPET)?.displayname, 'Alice (Remote)');
    assert.equal(h.requestsSince(mark, '/displayname').length, 1);
    await h.restartBridge();
    await h.puppets.get(ALICE_PUPPET).setDisplayName('Alice (Remote)');
    assert.equal(h.requestsSince(mark, '/displayname').length, 1);
  });

  it('uploads the avatar only when its content changed', async () => {
    const alice = h.puppets.get(ALICE_PUPPET);
    const first = new TextEncoder().encode('avatar one');
    const mark = h.mark();
    const url = await alice.setAvatar({ data: first, contentType: 'image/png' });
    assert.equal(await alice.setAvatar({ data: new Uint8Array(first), contentType: 'image/png' }), url);
    assert.equal(h.hs.user(ALICE_PUPPET)?.avatarUrl, url);
    assert.equal(h.requestsSince(mark, '/upload').length, 1);
    assert.equal(h.requestsSince(mark, '/avatar_url').length, 1);

    const second = await alice.setAvatar({ data: new TextEncoder().encode('avatar two'), contentType: 'image/png' });
    assert.notEqual(second, url);
    assert.equal(h.hs.user(ALICE_PUPPET)?.avatarUrl, second);
    assert.equal(h.requestsSince(mark, '/upload').length, 2);

    await alice.setAvatarUrl(url);
    assert.equal(h.hs.user(ALICE_PUPPET)?.avatarUrl, url);
    assert.equal(h.requestsSince(mark, '/upload').length, 2, 'an mxc URI needs no upload');
  });

  it('sets a per-room displayname through the member event', async () => {
    const roomId = await botRoom(h, { preset: 'public_chat' });
    const alice = h.puppets.get(ALICE_PUPPET);
    await alice.setDisplayName('Alice');
    await alice.ensureJoined(roomId);
    await h.waitForMembership(roomId, ALICE_PUPPET, 'join');
    await alice.setRoomProfile(roomId, { displayname: 'Alice in this room' });
    const member = h.hs.stateEvent(roomId, 'm.room.member', ALICE_PUPPET);
    assert.equal(member?.content['membership'], 'join');
    assert.equal(member?.content['displayname'], 'Alice in this room');
    assert.equal(h.hs.user(ALICE_PUPPET)?.displayname, 'Alice', 'the global name is unchanged');
    await h.waitForMirror(roomId, async (view) => (await view.member(ALICE_PUPPET))?.displayname === 'Alice in this room');
  });

  it('refuses a per-room profile where the puppet is not joined, before sending', async () => {
    const roomId = await botRoom(h, { preset: 'public_chat' });
    await h.puppets.get(ALICE_PUPPET).ensureRegistered();
    await assert.rejects(h.puppets.get(ALICE_PUPPET).setRoomProfile(roomId, { displayname: 'x' }), (err: unknown) => {
      if (err instanceof PermissionDenied) return true;
      // The homeserver refuses to read the member event of a user who is not in the room.
      return err instanceof Error && /403/.test(err.message);
    });
    assert.equal(h.hs.stateEvent(roomId, 'm.room.member', ALICE_PUPPET), undefined);
  });
});
