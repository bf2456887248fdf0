import { strict as assert } from 'node:assert';
import { waitUntil } from '../../src/testing/index.js';
import { ALICE_PUPPET, Harness, startWithJoinedRoom } from './harness.js';

const TYPING = '/typing/';

describe('puppets: typing, receipts, presence', () => {
  let h: Harness;
  let roomId: string;
  beforeEach(async () => {
    ({ h, roomId } = await startWithJoinedRoom());
  });
  afterEach(() => h.close());

  it('keeps typing up while held, and stops', async () => {
    const alice = h.puppets.get(ALICE_PUPPET);
    const mark = h.mark();
    const typing = await alice.startTyping(roomId, { timeoutMs: 300 });
    assert.equal(await alice.startTyping(roomId, { timeoutMs: 300 }), typing, 'one notification per user and room');
    assert.deepEqual(h.hs.typing(roomId), [ALICE_PUPPET]);
    await new Promise((resolve) => setTimeout(resolve, 750));
    assert.deepEqual(h.hs.typing(roomId), [ALICE_PUPPET], 'still typing after twice the server timeout');
    assert.ok(h.requestsSince(mark, TYPING).length >= 3, 'refreshed');

    await typing.stop();
    assert.equal(typing.active, false);
    assert.deepEqual(h.hs.typing(roomId), []);
    const afterStop = h.requestsSince(mark, TYPING).length;
    await new Promise((resolve) => setTimeout(resolve, 450));
    assert.equal(h.requestsSince(mark, TYPING).length, afterStop, 'no refresh after stop');
    await typing.stop();
    assert.equal(h.requestsSince(mark, TYPING).length, afterStop);
  });

  it('stops typing by room, and after maxMs by itself', async () => {
    const alice = h.puppets.get(ALICE_PUPPET);
    await alice.startTyping(roomId, { timeoutMs: 1_000 });
    await alice.stopTyping(roomId);
    assert.deepEqual(h.hs.typing(roomId), []);
    await alice.startTyping(roomId, { timeoutMs: 1_000, maxMs: 100 });
    await waitUntil(() => h.hs.typing(roomId).length === 0, 2_000, 'typing to end by itself');
  });

  it('sends read receipts, public and private', async () => {
    const eventId = await h.puppets.bot.sendText(roomId, 'read me');
    const alice = h.puppets.get(ALICE_PUPPET);
    await alice.sendReadReceipt(roomId, eventId);
    await alice.sendReadReceipt(roomId, eventId, { private: true, threadId: 'main' });
    const receipts = await waitUntil(() => {
      const edus = h.hs.transactionsSent.flatMap((t) => (t.body['de.sorunome.msc2409.ephemeral'] as Array<Record<string, unknown>> | undefined) ?? []);
      const found = edus.filter((e) => e['type'] === 'm.receipt');
      return found.length >= 2 ? found : undefined;
    }, 5_000, 'receipts pushed');
    assert.deepEqual(Object.keys((receipts[0]!['content'] as Record<string, Record<string, unknown>>)[eventId]!), ['m.read']);
    const privately = (receipts[1]!['content'] as Record<string, Record<string, Record<string, Record<string, unknown>>>>)[eventId]!['m.read.private']!;
    assert.equal(privately[ALICE_PUPPET]!['thread_id'], 'main');
  });

  it('sets presence with a status message', async () => {
    const alice = h.puppets.get(ALICE_PUPPET);
    await alice.setPresence('online', 'bridging');
    assert.deepEqual({ presence: h.hs.user(ALICE_PUPPET)?.presence, statusMsg: h.hs.user(ALICE_PUPPET)?.statusMsg }, { presence: 'online', statusMsg: 'bridging' });
    await alice.setPresence('unavailable');
    assert.equal(h.hs.user(ALICE_PUPPET)?.presence, 'unavailable');
    await alice.setPresence('offline', 'gone');
    assert.deepEqual({ presence: h.hs.user(ALICE_PUPPET)?.presence, statusMsg: h.hs.user(ALICE_PUPPET)?.statusMsg }, { presence: 'offline', statusMsg: 'gone' });
  });
});
