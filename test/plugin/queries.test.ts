import assert from 'node:assert/strict';
import { TestClientError } from '../../src/testing/index.js';
import { RemoteHarness } from './remote/harness.js';

describe('homeserver queries: users and aliases', function () {
  this.timeout(30_000);
  let h: RemoteHarness;

  beforeEach(async () => { h = await RemoteHarness.start(); });
  afterEach(async () => { await h.close(); });

  it('registers the ghost with its profile before answering a user query, and declines unknown users', async () => {
    h.plugin.users.set('tess', { id: 'tess', displayName: 'Tess T' });
    const asker = await h.hs.registerUser('asker');
    const ghost = h.ghost('tess');
    const profile = await asker.client.request<{ displayname?: string }>('GET', `/_matrix/client/v3/profile/${encodeURIComponent(ghost)}`);
    assert.equal(profile.displayname, 'Tess T', 'the homeserver found the user, profile set, when we said 200');
    assert.equal(h.hs.user(ghost)?.displayname, 'Tess T');

    await assert.rejects(
      asker.client.request('GET', `/_matrix/client/v3/profile/${encodeURIComponent(h.ghost('nobody'))}`),
      (err: unknown) => err instanceof TestClientError && err.status === 404,
    );
    assert.equal(h.hs.user(h.ghost('nobody')), undefined, 'a declined user is not created');
  });

  it('creates the portal with the alias before answering an alias query, and declines unknown channels', async () => {
    h.plugin.channels.set('town-square', { id: 'town-square', name: 'Town Square', topic: 'Everyone' });
    const visitor = await h.hs.registerUser('visitor');
    const alias = '#rt_town-square:localhost';
    const roomId = await visitor.client.join(alias);
    assert.equal(h.hs.resolveAlias(alias), roomId);
    assert.equal(h.hs.memberships(roomId)[visitor.userId], 'join', 'the portal is joinable by its alias');
    assert.equal(h.hs.stateEvent(roomId, 'm.room.name')?.content['name'], 'Town Square');
    assert.equal(await h.plugin.ctx.mappings.roomForChannel('town-square'), roomId);

    // A later remote message for that channel lands in the same portal.
    const pushed = await h.plugin.push({ kind: 'message', channel: { id: 'town-square' }, sender: { id: 'uma' }, id: 'u1', text: 'welcome' });
    assert.equal(pushed.roomId, roomId);

    await assert.rejects(
      visitor.client.join('#rt_nowhere:localhost'),
      (err: unknown) => err instanceof TestClientError && err.status === 404,
    );
    assert.equal(h.hs.resolveAlias('#rt_nowhere:localhost'), undefined);
  });
});
