import assert from 'node:assert/strict';
import type { RoomEvent } from '../../src/events/types.js';
import { TestBridge, waitUntil } from '../../src/testing/index.js';
import { HistoryNetwork } from './history-network.js';

const ghost = (id: string) => `@_test_${id}:localhost`;
const said = (channel: string, sender: string, text: string, ts: number) => ({ channel, sender, text, ts });

describe('backfill: forward-only catch-up from the plugin\'s history', function () {
  this.timeout(30_000);
  let tb: TestBridge | undefined;
  afterEach(async () => { await tb?.stop(); tb = undefined; });

  const messages = (roomId: string): RoomEvent[] => tb!.hs.events(roomId).filter((e) => e.type === 'm.room.message');
  const bodies = (roomId: string): string[] => messages(roomId).map((e) => String(e.content['body']));

  it('a new portal gets the channel\'s history first, in order, as the right ghosts, with the remote timestamps', async () => {
    const net = new HistoryNetwork();
    tb = await TestBridge.start(() => net.plugin());
    net.said(said('lobby', 'ann', 'first', 1_000_000));
    net.said(said('lobby', 'bob', 'second', 2_000_000));
    net.said(said('lobby', 'ann', 'third', 3_000_000));
    const result = await net.live(said('lobby', 'bob', 'live one', 4_000_000)) as { roomId: string };
    assert.deepEqual(bodies(result.roomId), ['first', 'second', 'third', 'live one']);
    assert.deepEqual(messages(result.roomId).map((e) => [e.sender, e.origin_server_ts]), [
      [ghost('ann'), 1_000_000], [ghost('bob'), 2_000_000], [ghost('ann'), 3_000_000], [ghost('bob'), 4_000_000],
    ]);
    assert.deepEqual(net.requests, [{ channel: 'lobby', before: 'm4', limit: 100 }]);
  });

  it('takes at most bridge.backfillLimit per portal', async () => {
    const net = new HistoryNetwork();
    tb = await TestBridge.start(() => net.plugin(), { config: { bridge: { backfillLimit: 2 } } });
    for (let i = 1; i <= 5; i++) net.said(said('lobby', 'ann', `old ${i}`, i * 1000));
    // A careless plugin that returns more than asked: the newest `limit` are kept.
    net.ignoreRange = true;
    const result = await net.live(said('lobby', 'ann', 'now', 9_000)) as { roomId: string };
    assert.deepEqual(bodies(result.roomId), ['old 4', 'old 5', 'now']);
  });

  it('after downtime, catches up from the last message bridged, before anything live, without duplicates', async () => {
    const net = new HistoryNetwork();
    tb = await TestBridge.start(() => net.plugin());
    const { roomId } = await net.live(said('lobby', 'ann', 'before the gap', 1_000)) as { roomId: string };
    await tb.settled();
    await tb.bridge.stop();
    net.ctx = undefined;
    net.said(said('lobby', 'bob', 'missed 1', 2_000));
    net.said(said('lobby', 'ann', 'missed 2', 3_000));
    // Held open: a live message arriving meanwhile must wait for it.
    let release!: () => void;
    net.hold = new Promise((r) => { release = r; });
    await tb.restartBridge();
    await waitUntil(() => net.requests.length === 2, 5_000, 'the catch-up at start');
    assert.deepEqual(net.requests[1], { channel: 'lobby', after: 'm1', afterTs: 1_000, limit: 100 });
    const live = net.live(said('lobby', 'bob', 'live after the gap', 4_000));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(bodies(roomId), ['before the gap'], 'nothing posted while the catch-up is open');
    release();
    await live;
    assert.deepEqual(bodies(roomId), ['before the gap', 'missed 1', 'missed 2', 'live after the gap']);
    assert.deepEqual(messages(roomId).map((e) => e.origin_server_ts), [1_000, 2_000, 3_000, 4_000]);
    assert.equal(net.requests.length, 2, 'once per portal per run');

    // Another start with a plugin that hands over everything again: nothing is posted twice.
    net.hold = undefined;
    net.ignoreRange = true;
    await tb.restartBridge();
    await waitUntil(() => net.requests.length === 3, 5_000, 'the catch-up at start');
    assert.equal(net.requests[2]!.after, 'm4');
    await tb.settled();
    await net.live(said('lobby', 'ann', 'and on', 5_000));
    assert.deepEqual(bodies(roomId), ['before the gap', 'missed 1', 'missed 2', 'live after the gap', 'and on']);
  });

  it('a message already bridged is skipped by its mapping (history turned on for portals that had none)', async () => {
    const net = new HistoryNetwork();
    let keepsHistory = false;
    tb = await TestBridge.start(() => net.plugin(keepsHistory));
    const { roomId } = await net.live(said('lobby', 'ann', 'one', 1_000)) as { roomId: string };
    await net.live(said('lobby', 'bob', 'two', 2_000));
    await tb.settled();
    await tb.bridge.stop();
    net.said(said('lobby', 'ann', 'three', 3_000));
    keepsHistory = true;
    await tb.restartBridge();
    await waitUntil(() => bodies(roomId).includes('three'), 5_000, 'the catch-up');
    await tb.settled();
    assert.deepEqual(net.requests, [{ channel: 'lobby', limit: 100 }], 'no last message known: the latest history');
    assert.deepEqual(bodies(roomId), ['one', 'two', 'three']);
  });

  it('a failing fetchHistory is logged and the live message still goes through', async () => {
    const net = new HistoryNetwork();
    net.hold = Promise.reject(new Error('history server down'));
    net.hold.catch(() => undefined);
    tb = await TestBridge.start(() => net.plugin());
    net.said(said('lobby', 'ann', 'lost to history', 1_000));
    const { roomId } = await net.live(said('lobby', 'ann', 'live', 2_000)) as { roomId: string };
    assert.deepEqual(bodies(roomId), ['live']);
  });
});
