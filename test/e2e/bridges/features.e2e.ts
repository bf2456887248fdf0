import assert from 'node:assert/strict';
import echo from '../../../bridges/echo/index.js';
import type { BridgePlugin, PluginContext } from '../../../src/plugin/contract.js';
import { E2eBridge, bodyOf, e2e, ensureDelivering, eventually, type E2eContext, type E2eUser } from '../harness/index.js';
import { botJoinsInvite } from './probe.js';

/**
 * bridgekit's own features on Synapse, as people meet them: a remote network (this test,
 * through the plugin's `remote.push`) whose people get portals, profiles and presence;
 * the bridge's space of portals as Synapse's hierarchy shows it; and make-room-admin
 * (the echo bot's `!makeadmin`) taking over a room for a bridge admin.
 */
describe('bridgekit features on Synapse: remote profiles and presence, spaces, make-room-admin', function () {
  this.timeout(120_000);
  const RUN = Date.now().toString(36);
  let ctx: E2eContext;
  let bridge: E2eBridge;
  let remote: PluginContext;
  let alice: E2eUser;
  let bob: E2eUser;
  const portals: string[] = [];

  const plugin: BridgePlugin = {
    name: 'e2e-features',
    capabilities: { messages: true, presence: true, profile: true, membership: true },
    commands: echo.commands,
    async start(context) {
      remote = context;
    },
  };
  const kim = { id: `kim${RUN}`, displayName: 'Kim' };
  const ghost = () => remote.ghosts.userId(kim.id);

  before(async () => {
    ctx = await e2e();
    bob = await ctx.synapse.createUser('bob');
    bridge = await E2eBridge.start(ctx.synapse, ctx.appservice('features'), plugin, { config: { bot: { admins: [bob.userId] } } });
    alice = await ctx.synapse.createUser('alice');
    await ensureDelivering(ctx.synapse, (timeoutMs) => botJoinsInvite(alice, bridge.botUserId, timeoutMs));
  });
  after(async () => bridge?.stop());

  it('gives a remote person\'s messages portals that invite the Matrix user, who joins them', async () => {
    for (const name of ['one', 'two']) {
      const pushed = await remote.remote.push({
        kind: 'message', id: `${name}-${RUN}`, text: `hello in ${name}`, sender: kim,
        channel: { id: `${name}${RUN}`, name: `Channel ${name}`, invite: [alice.userId] },
      });
      assert.ok(pushed.roomId, `a portal for ${name}`);
      await joinWhenInvited(alice, pushed.roomId);
      const message = await alice.waitForEvent(pushed.roomId, (e) => e.sender === ghost() && bodyOf(e) === `hello in ${name}`, 'kim\'s message');
      assert.equal(message.type, 'm.room.message');
      portals.push(pushed.roomId);
    }
  });

  it('makes a remote display name change the ghost\'s name in every room it is in, and its profile', async () => {
    await remote.remote.push({ kind: 'profile', sender: { ...kim, displayName: 'Kim Renamed' } });
    for (const roomId of portals) {
      await eventually(async () => (await alice.client.getState(roomId, 'm.room.member', ghost()))['displayname'] === 'Kim Renamed', `the new name in ${roomId}`);
    }
    const profile = await alice.client.request('GET', `/_matrix/client/v3/profile/${encodeURIComponent(ghost())}`);
    assert.equal(profile['displayname'], 'Kim Renamed');
  });

  it('shows remote presence on Synapse', async () => {
    const presence = () => alice.client.request('GET', `/_matrix/client/v3/presence/${encodeURIComponent(ghost())}/status`);
    await remote.remote.push({ kind: 'presence', sender: kim, presence: 'unavailable', statusMsg: 'in a meeting' });
    await eventually(async () => {
      const p = await presence();
      return p['presence'] === 'unavailable' && p['status_msg'] === 'in a meeting';
    }, 'kim unavailable on Synapse');
    await remote.remote.push({ kind: 'presence', sender: kim, presence: 'online' });
    await eventually(async () => (await presence())['presence'] === 'online', 'kim online on Synapse');
  });

  it('puts the portals in the bridge\'s space, as Synapse\'s hierarchy reports it', async () => {
    const spaceId = await remote.bot.createSpace({ name: `Network ${RUN}`, invite: [alice.userId] });
    for (const roomId of portals) await remote.bot.addToSpace(spaceId, roomId);
    await joinWhenInvited(alice, spaceId);
    const create = await alice.client.getState(spaceId, 'm.room.create');
    assert.equal(create['type'], 'm.space');
    const hierarchy = await alice.client.request<{ rooms: Array<{ room_id: string; room_type?: string; children_state: Array<{ state_key: string }> }> }>(
      'GET', `/_matrix/client/v1/rooms/${encodeURIComponent(spaceId)}/hierarchy`,
    );
    const top = hierarchy.rooms.find((r) => r.room_id === spaceId);
    assert.equal(top?.room_type, 'm.space');
    assert.deepEqual(top?.children_state.map((c) => c.state_key).sort(), [...portals].sort());
    for (const roomId of portals) {
      assert.ok(hierarchy.rooms.some((r) => r.room_id === roomId), `${roomId} listed in the hierarchy`);
      const parent = await alice.client.getState(roomId, 'm.space.parent', spaceId);
      assert.deepEqual(parent['via'], [ctx.synapse.serverName]);
    }
  });

  it('lets a bridge admin at level 0 take over a room with !makeadmin, where the bot may', async () => {
    const roomId = await alice.client.createRoom({
      name: 'take over', invite: [bridge.botUserId, bob.userId],
      power_level_content_override: { users: { [alice.userId]: 100, [bridge.botUserId]: 100 } },
    });
    await alice.waitForMembership(roomId, bridge.botUserId, 'join');
    await bob.client.join(roomId);
    const command = await bob.say(roomId, `!makeadmin ${bob.userId}`);
    const answer = await bob.waitForReply(roomId, command, bridge.botUserId);
    assert.equal(bodyOf(answer), `${bob.userId} now has power level 100.`);
    const levels = await bob.powerLevels(roomId);
    assert.equal((levels['users'] as Record<string, number>)[bob.userId], 100);
  });

  it('answers why not where nobody the bridge controls may', async () => {
    const roomId = await alice.client.createRoom({ name: 'no power', invite: [bridge.botUserId, bob.userId] });
    await alice.waitForMembership(roomId, bridge.botUserId, 'join');
    await bob.client.join(roomId);
    const command = await bob.say(roomId, `!makeadmin ${bob.userId}`);
    const answer = await bob.waitForReply(roomId, command, bridge.botUserId);
    assert.match(bodyOf(answer), /^I cannot do that: /);
    const levels = await bob.powerLevels(roomId);
    assert.equal((levels['users'] as Record<string, number>)[bob.userId], undefined);
  });
});

/** An invited user cannot read the room's state on Synapse (403): they join once the invite is there. */
function joinWhenInvited(user: E2eUser, roomId: string): Promise<boolean> {
  return eventually(async () => {
    try {
      await user.client.join(roomId);
      return true;
    } catch {
      return false;
    }
  }, `${user.userId} to join ${roomId} on invite`);
}
