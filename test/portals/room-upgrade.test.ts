import assert from 'node:assert/strict';
import type { BridgePlugin, MatrixMessage, PluginContext, RoomUpgrade } from '../../src/index.js';
import { PermissionDenied } from '../../src/index.js';
import { TestBridge, waitUntil, type TestUser } from '../../src/testing/index.js';
import { HistoryNetwork } from './history-network.js';

const ghost = (id: string) => `@_test_${id}:localhost`;

/** A plugin that remembers what Matrix said to which channel, and the upgrades it was told of. */
class UpgradePlugin implements BridgePlugin<unknown> {
  readonly name = 'upgradetest';
  readonly capabilities = { messages: true } as const;
  readonly heard: Array<{ roomId: string; channelId: string | undefined; body: string }> = [];
  readonly upgrades: RoomUpgrade[] = [];
  ctx!: PluginContext;
  async start(ctx: PluginContext): Promise<void> { this.ctx = ctx; }
  async onMessage(message: MatrixMessage): Promise<void> {
    this.heard.push({ roomId: message.roomId, channelId: await this.ctx.mappings.channelForRoom(message.roomId), body: message.body });
  }
  async onRoomUpgrade(upgrade: RoomUpgrade): Promise<void> { this.upgrades.push(upgrade); }
}

describe('room upgrades: a portal follows its m.room.tombstone', function () {
  this.timeout(30_000);
  let tb: TestBridge;
  let plugin: UpgradePlugin;
  let alice: TestUser;
  beforeEach(async () => {
    plugin = new UpgradePlugin();
    tb = await TestBridge.start(plugin);
    alice = await tb.user('alice');
  });
  afterEach(async () => tb.stop());

  const upgrade = async (roomId: string) => ({ replacement_room: await alice.client.upgradeRoom(roomId, '11') });

  /** A portal with ann's and bob's ghosts, alice joined and made admin (she may upgrade it). */
  async function portal(isPublic: boolean): Promise<string> {
    const channel = { id: 'lobby', name: 'Lobby', public: isPublic, ...(isPublic ? {} : { invite: [alice.userId] }) };
    const { roomId } = await plugin.ctx.remote.push({ kind: 'message', channel, sender: { id: 'ann' }, id: 'r1', text: 'hello' });
    await plugin.ctx.remote.push({ kind: 'message', channel, sender: { id: 'bob' }, id: 'r2', text: 'hi ann' });
    await alice.client.join(roomId!);
    await tb.settled();
    await tb.bridge.bot.makeRoomAdmin(roomId!, alice.userId);
    await tb.settled();
    return roomId!;
  }

  it('the bot and the ghosts join the new room, the mapping moves, the plugin is told; both directions go to the new room, nothing to the old', async () => {
    const oldRoom = await portal(true);
    const { replacement_room: newRoom } = await upgrade(oldRoom);
    await waitUntil(() => plugin.upgrades.length === 1, 10_000, 'the plugin told of the upgrade');
    assert.deepEqual(plugin.upgrades, [{ channelId: 'lobby', oldRoomId: oldRoom, newRoomId: newRoom }]);
    const members = tb.hs.memberships(newRoom);
    assert.equal(members[tb.botUserId], 'join');
    assert.equal(members[ghost('ann')], 'join');
    assert.equal(members[ghost('bob')], 'join');
    assert.equal(await plugin.ctx.mappings.roomForChannel('lobby'), newRoom);
    assert.equal(await plugin.ctx.mappings.channelForRoom(newRoom), 'lobby');
    assert.equal(await plugin.ctx.mappings.channelForRoom(oldRoom), undefined);
    const tombstoneAt = tb.hs.events(oldRoom).findIndex((e) => e.type === 'm.room.tombstone');

    // Remote → Matrix: into the new room.
    const pushed = await plugin.ctx.remote.push({ kind: 'message', channel: { id: 'lobby' }, sender: { id: 'ann' }, id: 'r3', text: 'after the upgrade' });
    assert.equal(pushed.roomId, newRoom);
    const arrived = tb.hs.events(newRoom).find((e) => e.event_id === pushed.eventId)!;
    assert.equal(arrived.sender, ghost('ann'));
    assert.equal(arrived.content['body'], 'after the upgrade');

    // A repeat of a message bridged before the upgrade is still a repeat.
    const again = await plugin.ctx.remote.push({ kind: 'message', channel: { id: 'lobby' }, sender: { id: 'ann' }, id: 'r1', text: 'hello' });
    assert.equal(again.duplicate, true);
    assert.equal(again.roomId, oldRoom);

    // Matrix → remote: from the new room, as the channel's.
    await alice.client.join(newRoom);
    await alice.client.sendText(newRoom, 'from the new room');
    await tb.settled();
    assert.deepEqual(plugin.heard.at(-1), { roomId: newRoom, channelId: 'lobby', body: 'from the new room' });

    // The dead room: a plugin's send there fails clearly, and nothing of ours landed after the tombstone.
    await assert.rejects(plugin.ctx.bot.sendText(oldRoom, 'anyone?'), (e: unknown) =>
      e instanceof PermissionDenied && e.message.includes(newRoom) && e.rule.includes('room upgraded'));
    const ours = tb.hs.events(oldRoom).slice(tombstoneAt).filter((e) => e.sender === tb.botUserId || e.sender.startsWith('@_test_'));
    // Only the ghosts leaving: they moved.
    assert.deepEqual(ours.map((e) => [e.type, e.state_key, e.content['membership']]).sort(), [
      ['m.room.member', ghost('ann'), 'leave'], ['m.room.member', ghost('bob'), 'leave'],
    ]);
  });

  it('an invite-only replacement: the bot follows when invited, then brings the ghosts in', async () => {
    const oldRoom = await portal(false);
    const { replacement_room: newRoom } = await upgrade(oldRoom);
    await tb.settled();
    assert.equal(plugin.upgrades.length, 0, 'not followed yet: the bot may not join');
    assert.equal(await plugin.ctx.mappings.roomForChannel('lobby'), oldRoom);
    await alice.client.invite(newRoom, tb.botUserId);
    await waitUntil(() => plugin.upgrades.length === 1, 10_000, 'followed on the invite');
    const members = tb.hs.memberships(newRoom);
    assert.equal(members[tb.botUserId], 'join');
    assert.equal(members[ghost('ann')], 'join');
    assert.equal(members[ghost('bob')], 'join');
    assert.equal(await plugin.ctx.mappings.roomForChannel('lobby'), newRoom);
    const pushed = await plugin.ctx.remote.push({ kind: 'message', channel: { id: 'lobby' }, sender: { id: 'bob' }, id: 'r3', text: 'here too' });
    assert.equal(pushed.roomId, newRoom);
  });

  it('a management room follows its upgrade: the replacement is the user\'s management room', async () => {
    const oldRoom = await tb.bridge.bot.managementRoom(alice.userId);
    await alice.client.join(oldRoom);
    await tb.settled();
    const { replacement_room: newRoom } = await upgrade(oldRoom);
    await tb.settled();
    await alice.client.invite(newRoom, tb.botUserId);
    await waitUntil(() => tb.hs.memberships(newRoom)[tb.botUserId] === 'join', 10_000, 'the bot in the new room');
    await waitUntil(async () => await tb.bridge.bot.managementRoom(alice.userId) === newRoom, 10_000, 'the management room moved');
  });

  it('another room the bot is in is not followed', async () => {
    const roomId = await alice.client.createRoom({ preset: 'public_chat', invite: [tb.botUserId] });
    await tb.settled();
    await waitUntil(() => tb.hs.memberships(roomId)[tb.botUserId] === 'join', 5_000, 'the bot joins');
    const { replacement_room: newRoom } = await upgrade(roomId);
    await tb.settled();
    assert.equal(tb.hs.memberships(newRoom)[tb.botUserId], undefined);
  });

  it('a tombstone naming a room that does not name the portal as its predecessor moves nothing (another portal, a room of the sender\'s)', async () => {
    const oldRoom = await portal(true);
    const other = await plugin.ctx.remote.push({ kind: 'message', channel: { id: 'other', name: 'Other', public: true }, sender: { id: 'cy' }, id: 'o1', text: 'elsewhere' });
    const own = await alice.client.createRoom({ preset: 'public_chat' });
    await alice.client.setState(oldRoom, 'm.room.tombstone', '', { body: 'moved', replacement_room: own });
    await tb.settled();
    assert.equal(await plugin.ctx.mappings.roomForChannel('lobby'), oldRoom, 'the channel stays (a room of alice\'s)');
    assert.notEqual(tb.hs.memberships(own)[tb.botUserId], 'join', 'the bot did not stay in her room');
    assert.equal(tb.hs.memberships(own)[ghost('ann')], undefined, 'no ghost followed');
    await alice.client.setState(oldRoom, 'm.room.tombstone', '', { body: 'moved', replacement_room: other.roomId! });
    await tb.settled();
    assert.equal(await plugin.ctx.mappings.roomForChannel('lobby'), oldRoom, 'the channel stays (another portal)');
    assert.equal(await plugin.ctx.mappings.channelForRoom(other.roomId!), 'other');
    assert.equal(tb.hs.memberships(other.roomId!)[tb.botUserId], 'join', 'the bot stays in the other portal');
    assert.equal(tb.hs.memberships(other.roomId!)[ghost('ann')], undefined, 'no ghost followed');
    assert.deepEqual(plugin.upgrades, []);
  });

  it('the new portal gets its bridge info (the homeserver does not copy it)', async () => {
    await tb.stop();
    plugin = new UpgradePlugin();
    const withInfo = Object.assign(plugin, { bridgeInfo: () => ({ protocol: { id: 'test' } }) });
    tb = await TestBridge.start(withInfo);
    alice = await tb.user('alice');
    const oldRoom = await portal(true);
    const key = 'bridgekit.upgradetest://test/lobby';
    assert.ok(tb.hs.stateEvent(oldRoom, 'm.bridge', key));
    const { replacement_room: newRoom } = await upgrade(oldRoom);
    await waitUntil(() => tb.hs.stateEvent(newRoom, 'm.bridge', key) !== undefined && tb.hs.stateEvent(newRoom, 'uk.half-shot.bridge', key) !== undefined, 10_000, 'bridge info in the new room');
  });
});

describe('room upgrades: remote events in flight when the tombstone arrives', function () {
  this.timeout(30_000);

  it('a push queued behind the tombstone\'s arrival follows the upgrade itself and lands in the new room', async () => {
    const net = new HistoryNetwork();
    const tb = await TestBridge.start(() => net.plugin());
    try {
      const alice = await tb.user('alice');
      const channel = { id: 'lobby', name: 'Lobby', public: true };
      const { roomId: oldRoom } = await net.ctx!.remote.push({ kind: 'message', channel, sender: { id: 'ann' }, id: 'x1', text: 'one', ts: 1_000 }) as { roomId: string };
      await alice.client.join(oldRoom);
      await tb.settled();
      await tb.bridge.bot.makeRoomAdmin(oldRoom, alice.userId);
      await tb.settled();

      // After a restart the channel's catch-up is held open, so its queue is busy: the push
      // below waits in it, and so does the inbox's move when the tombstone comes.
      let release!: () => void;
      net.hold = new Promise((r) => { release = r; });
      await tb.restartBridge();
      await waitUntil(() => net.requests.length === 2, 5_000, 'the catch-up at start');
      const live = net.live({ channel: 'lobby', sender: 'ann', text: 'in flight', ts: 2_000 }) as Promise<{ roomId: string; eventId: string }>;
      const newRoom = await alice.client.upgradeRoom(oldRoom, '11');
      await waitUntil(async () => (await tb.bridge.mirror.room(oldRoom))?.tombstone !== undefined, 5_000, 'the mirror has the tombstone');
      release();
      const pushed = await live;
      assert.equal(pushed.roomId, newRoom);
      assert.equal(tb.hs.events(newRoom).find((e) => e.event_id === pushed.eventId)?.sender, ghost('ann'));
      await tb.settled();
      assert.deepEqual(net.upgrades, [{ channelId: 'lobby', oldRoomId: oldRoom, newRoomId: newRoom }], 'followed once');
      const tombstoneAt = tb.hs.events(oldRoom).findIndex((e) => e.type === 'm.room.tombstone');
      const ours = tb.hs.events(oldRoom).slice(tombstoneAt).filter((e) => e.sender.startsWith('@_test_'));
      assert.deepEqual(ours.map((e) => [e.type, e.content['membership']]), [['m.room.member', 'leave']], 'only ann leaving');
    } finally {
      await tb.stop();
    }
  });
});
