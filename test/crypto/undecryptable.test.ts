import assert from 'node:assert/strict';
import type { BridgePlugin } from '../../src/plugin/contract.js';
import type { UndecryptableEvent } from '../../src/plugin/matrix-events.js';
import { TestBridge, type TestUser } from '../../src/testing/index.js';

/**
 * An encrypted event the bridge cannot read (here: encryption is off) is never dropped in
 * silence: the plugin hears of it and the bot tells the room, once.
 */
describe('crypto: undecryptable events reach the plugin and the room is told once', function () {
  this.timeout(30_000);
  let t: TestBridge;
  let alice: TestUser;
  const undecryptable: UndecryptableEvent[] = [];
  const other: string[] = [];

  before(async () => {
    const plugin: BridgePlugin = {
      name: 'recorder',
      capabilities: { messages: true },
      async start() {},
      async onUndecryptable(event) { undecryptable.push(event); },
      async onOtherEvent(event) { other.push(event.type); },
    };
    t = await TestBridge.start(plugin);
    alice = await t.user('alice');
  });
  after(() => t.stop());

  it('hands each encrypted event to onUndecryptable with the reason, and notices once per room', async () => {
    const roomId = await t.bridge.puppets.bot.createRoom({ preset: 'public_chat', invite: [alice.userId] });
    await alice.client.join(roomId);
    const encrypted = { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgA', sender_key: 'k', session_id: 's', device_id: 'D' };
    const first = await alice.client.sendEvent(roomId, 'm.room.encrypted', encrypted);
    const second = await alice.client.sendEvent(roomId, 'm.room.encrypted', encrypted);
    await t.hs.waitForPushIdle(10_000);
    await t.bridge.inbox.drained();
    assert.deepEqual(undecryptable.map((e) => e.eventId), [first, second]);
    assert.equal(undecryptable[0]!.sender, alice.userId);
    assert.match(undecryptable[0]!.reason, /encryption is not enabled/);
    assert.deepEqual(other, [], 'not handed on as an "other" event');
    const notices = t.hs.events(roomId).filter((e) => e.sender === t.botUserId && e.content['msgtype'] === 'm.notice');
    assert.equal(notices.length, 1, 'the room is told once');
    assert.match(String(notices[0]!.content['body']), /could not decrypt a message/);
  });
});
