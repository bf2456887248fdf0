import assert from 'node:assert/strict';
import type { BridgePlugin, HistoryMessage, MatrixMessage, PluginContext, RoomUpgrade } from '../../../src/index.js';
import { E2eBridge, bodyOf, e2e, eventually, type E2eContext, type E2eUser } from '../harness/index.js';

/**
 * Portals on Synapse: the bridge info clients read, history caught up with the remote
 * timestamps Synapse keeps for an appservice (`?ts=`), and a portal followed through a room
 * upgrade Synapse makes. Uses the `features` appservice (its bridge is stopped by then).
 */
describe('portals on Synapse: m.bridge, backfill with remote timestamps, room upgrades', function () {
  this.timeout(120_000);
  const RUN = Date.now().toString(36);
  const channelId = `lobby${RUN}`;
  let ctx: E2eContext;
  let bridge: E2eBridge;
  let remote: PluginContext;
  let alice: E2eUser;
  const heard: MatrixMessage[] = [];
  const upgrades: RoomUpgrade[] = [];
  const history: HistoryMessage[] = [1, 2].map((n) => ({
    kind: 'message', channel: { id: channelId }, sender: { id: `ann${RUN}` }, id: `old${n}-${RUN}`, text: `old ${n}`, ts: 1_600_000_000_000 + n * 60_000,
  }));

  const plugin: BridgePlugin = {
    name: 'e2e-portals',
    capabilities: { messages: true },
    bridgeInfo: () => ({ protocol: { id: 'e2e', displayname: 'E2E' }, stateKeyPrefix: 'org.example.e2e' }),
    async start(context) { remote = context; },
    async fetchHistory(_channel, request) {
      const to = history.findIndex((m) => m.id === request.before);
      return history.slice(0, to < 0 ? history.length : to);
    },
    async onMessage(message) { heard.push(message); },
    async onRoomUpgrade(upgrade) { upgrades.push(upgrade); },
  };

  before(async () => {
    ctx = await e2e();
    bridge = await E2eBridge.start(ctx.synapse, ctx.appservice('features'), plugin);
    alice = await ctx.synapse.createUser('alice');
  });
  after(async () => bridge?.stop());

  let portal: string;

  it('makes the portal with m.bridge and uk.half-shot.bridge, and the history first with its remote timestamps', async () => {
    const pushed = await remote.remote.push({
      kind: 'message', channel: { id: channelId, name: 'Lobby', public: true }, sender: { id: `ann${RUN}` }, id: `live-${RUN}`, text: 'live',
    });
    portal = pushed.roomId!;
    await alice.client.join(portal);
    const key = `org.example.e2e://e2e/${channelId}`;
    const info = await alice.client.getState(portal, 'm.bridge', key);
    assert.deepEqual(info, { bridgebot: bridge.botUserId, protocol: { id: 'e2e', displayname: 'E2E' }, channel: { id: channelId, displayname: 'Lobby' } });
    assert.deepEqual(await alice.client.getState(portal, 'uk.half-shot.bridge', key), info);
    const messages = await alice.messages(portal);
    assert.deepEqual(messages.map(bodyOf), ['old 1', 'old 2', 'live']);
    assert.deepEqual(messages.slice(0, 2).map((e) => e.origin_server_ts), history.map((m) => m.ts));
  });

  it('follows the portal through an upgrade Synapse makes: both directions in the new room', async () => {
    await bridge.bridge.bot.makeRoomAdmin(portal, alice.userId);
    await eventually(async () => ((await alice.powerLevels(portal))['users'] as Record<string, number> | undefined)?.[alice.userId] === 100, 'alice at 100');
    const newRoom = await alice.client.upgradeRoom(portal, '11');
    await eventually(async () => upgrades.length === 1, 'the plugin told of the upgrade');
    assert.deepEqual(upgrades, [{ channelId, oldRoomId: portal, newRoomId: newRoom }]);
    const pushed = await remote.remote.push({ kind: 'message', channel: { id: channelId }, sender: { id: `ann${RUN}` }, id: `after-${RUN}`, text: 'after' });
    assert.equal(pushed.roomId, newRoom);
    await alice.client.join(newRoom);
    await alice.waitForEvent(newRoom, (e) => e.event_id === pushed.eventId, 'the remote message');
    await alice.client.sendText(newRoom, 'hello new room');
    await eventually(async () => heard.some((m) => m.roomId === newRoom && m.body === 'hello new room'), 'the plugin hears the new room');
    await eventually(async () => {
      try { return (await alice.client.getState(newRoom, 'm.bridge', `org.example.e2e://e2e/${channelId}`))['bridgebot'] === bridge.botUserId; } catch { return false; }
    }, 'm.bridge in the new room');
  });
});
