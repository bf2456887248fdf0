import assert from 'node:assert/strict';
import type { BridgeInfo, BridgePlugin, PluginContext, RemoteChannel } from '../../src/index.js';
import { TestBridge, waitUntil } from '../../src/testing/index.js';

const STATE_KEY = 'org.example.chat://chat/chat.example.org/general';
const general: RemoteChannel = { id: 'general', name: 'General', externalUrl: 'https://chat.example.org/general' };

/** A plugin whose bridge info can change between runs (a new version of the bridge). */
function infoPlugin(contexts: PluginContext[], info: () => BridgeInfo | undefined): BridgePlugin<unknown> {
  const current = info();
  return {
    name: 'infotest',
    capabilities: { messages: true },
    ...(current !== undefined ? { bridgeInfo: () => current } : {}),
    async start(ctx) { contexts.push(ctx); },
  };
}

const baseInfo: BridgeInfo = {
  protocol: { id: 'chat', displayname: 'Chat' },
  network: { id: 'chat.example.org', displayname: 'Example Chat', external_url: 'https://chat.example.org' },
  stateKeyPrefix: 'org.example.chat',
};

describe('bridge info (m.bridge, MSC2346)', function () {
  this.timeout(30_000);
  let tb: TestBridge | undefined;
  afterEach(async () => { await tb?.stop(); tb = undefined; });

  it('a new portal carries m.bridge and uk.half-shot.bridge from its creation, sent by the bot', async () => {
    const contexts: PluginContext[] = [];
    tb = await TestBridge.start(() => infoPlugin(contexts, () => baseInfo));
    const { roomId } = await contexts.at(-1)!.remote.push({ kind: 'message', channel: general, sender: { id: 'ann' }, id: 'm1', text: 'hi' });
    const stable = tb.hs.stateEvent(roomId!, 'm.bridge', STATE_KEY);
    const unstable = tb.hs.stateEvent(roomId!, 'uk.half-shot.bridge', STATE_KEY);
    assert.ok(stable && unstable, 'both events are in the room');
    assert.equal(stable.sender, tb.botUserId);
    assert.deepEqual(stable.content, {
      bridgebot: tb.botUserId,
      protocol: { id: 'chat', displayname: 'Chat' },
      network: { id: 'chat.example.org', displayname: 'Example Chat', external_url: 'https://chat.example.org' },
      channel: { id: 'general', displayname: 'General', external_url: 'https://chat.example.org/general' },
    });
    assert.deepEqual(unstable.content, stable.content);
    // In the initial state: before the first message, not after it.
    const events = tb.hs.events(roomId!);
    const infoAt = events.findIndex((e) => e.type === 'm.bridge');
    const firstMessage = events.findIndex((e) => e.type === 'm.room.message');
    assert.ok(infoAt >= 0 && infoAt < firstMessage);
  });

  it('follows the channel\'s name; a change that carries only the topic keeps the name and link', async () => {
    const contexts: PluginContext[] = [];
    tb = await TestBridge.start(() => infoPlugin(contexts, () => baseInfo));
    const ctx = contexts.at(-1)!;
    const { roomId } = await ctx.remote.push({ kind: 'channel', channel: general });
    await tb.settled();
    await ctx.remote.push({ kind: 'channel', channel: { id: 'general', name: 'General chat' } });
    const renamed = tb.hs.stateEvent(roomId!, 'm.bridge', STATE_KEY)!.content['channel'];
    assert.deepEqual(renamed, { id: 'general', displayname: 'General chat', external_url: 'https://chat.example.org/general' });
    assert.equal((tb.hs.stateEvent(roomId!, 'uk.half-shot.bridge', STATE_KEY)!.content['channel'] as { displayname: string }).displayname, 'General chat');
    await tb.settled();
    const before = tb.hs.events(roomId!).length;
    await ctx.remote.push({ kind: 'channel', channel: { id: 'general', topic: 'news' } });
    await tb.settled();
    const added = tb.hs.events(roomId!).slice(before).map((e) => e.type);
    assert.deepEqual(added, ['m.room.topic'], 'no bridge info sent again when it did not change');
  });

  it('portals of an earlier run get it at start when it is missing or stale, and none is sent when it is current', async () => {
    const contexts: PluginContext[] = [];
    let info: BridgeInfo | undefined;
    tb = await TestBridge.start(() => infoPlugin(contexts, () => info));
    const { roomId } = await contexts.at(-1)!.remote.push({ kind: 'message', channel: general, sender: { id: 'ann' }, id: 'm1', text: 'hi' });
    const other = await contexts.at(-1)!.remote.push({ kind: 'message', channel: { id: 'random', name: 'Random' }, sender: { id: 'ann' }, id: 'm2', text: 'yo' });
    await tb.settled();
    assert.equal(tb.hs.stateEvent(roomId!, 'm.bridge', STATE_KEY), undefined, 'no bridge info without the plugin\'s');

    info = baseInfo;
    await tb.restartBridge();
    await waitUntil(() => tb!.hs.stateEvent(other.roomId!, 'uk.half-shot.bridge', 'org.example.chat://chat/chat.example.org/random') !== undefined, 10_000, 'the sweep');
    // Remembered from the earlier run: the name and the link.
    assert.deepEqual(tb.hs.stateEvent(roomId!, 'm.bridge', STATE_KEY)!.content['channel'], {
      id: 'general', displayname: 'General', external_url: 'https://chat.example.org/general',
    });

    info = { ...baseInfo, protocol: { id: 'chat', displayname: 'Chat 2' } };
    await tb.restartBridge();
    await waitUntil(() => (tb!.hs.stateEvent(roomId!, 'm.bridge', STATE_KEY)!.content['protocol'] as { displayname: string }).displayname === 'Chat 2', 10_000, 'the stale info replaced');
    await waitUntil(() => (tb!.hs.stateEvent(other.roomId!, 'uk.half-shot.bridge', 'org.example.chat://chat/chat.example.org/random')!.content['protocol'] as { displayname: string }).displayname === 'Chat 2', 10_000, 'both portals');
    await tb.settled();

    const count = () => tb!.hs.events(roomId!).length + tb!.hs.events(other.roomId!).length;
    const before = count();
    await tb.restartBridge();
    await tb.settled();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(count(), before, 'current info is not sent again');
  });

  it('a room the plugin links itself gets the bridge info, withdrawn when unlinked; ids with a slash are escaped in the state key', async () => {
    const contexts: PluginContext[] = [];
    tb = await TestBridge.start(() => infoPlugin(contexts, () => ({ protocol: { id: 'hooks' } })));
    const alice = await tb.user('alice');
    const roomId = await alice.client.createRoom({ name: 'Alerts' });
    await alice.client.invite(roomId, tb.botUserId);
    await tb.settled();
    await waitUntil(() => tb!.hs.memberships(roomId)[tb!.botUserId] === 'join', 5_000, 'the bot joins');
    await alice.client.setState(roomId, 'm.room.power_levels', '', { users: { [alice.userId]: 100, [tb.botUserId]: 50 } });
    await tb.settled();
    await contexts.at(-1)!.mappings.linkChannel('room/alerts', roomId);
    const key = 'bridgekit.infotest://hooks/room%2Falerts';
    await waitUntil(() => tb!.hs.stateEvent(roomId, 'm.bridge', key) !== undefined, 5_000, 'the bridge info');
    assert.deepEqual(tb.hs.stateEvent(roomId, 'm.bridge', key)!.content, {
      bridgebot: tb.botUserId, protocol: { id: 'hooks' }, channel: { id: 'room/alerts', displayname: 'Alerts' },
    });
    await tb.settled();
    await contexts.at(-1)!.mappings.unlinkChannel('room/alerts');
    await waitUntil(() => Object.keys(tb!.hs.stateEvent(roomId, 'uk.half-shot.bridge', key)!.content).length === 0, 5_000, 'the unstable event emptied');
    assert.deepEqual(tb.hs.stateEvent(roomId, 'm.bridge', key)!.content, {});
    assert.equal(tb.hs.stateEvent(roomId, 'm.bridge', key)!.sender, tb.botUserId);
  });
});
