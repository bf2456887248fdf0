import assert from 'node:assert/strict';
import type { BridgePlugin } from '../../src/plugin/contract.js';
import type { MatrixMessage } from '../../src/plugin/matrix-events.js';
import { TestBridge, waitUntil, type TestUser } from '../../src/testing/index.js';

/** A plugin that records what reaches it and carries plain messages and replies only. */
function recordingPlugin(seen: { messages: MatrixMessage[]; other: string[] }): BridgePlugin {
  return {
    name: 'recorder',
    capabilities: { messages: true, replies: true },
    async start() {},
    async onMessage(message) { seen.messages.push(message); },
    async onEdit() { seen.other.push('edit'); },
    async onReaction() { seen.other.push('reaction'); },
  };
}

describe('plugin host: capabilities, refusal notices and echo suppression (end to end)', function () {
  this.timeout(30_000);
  let t: TestBridge;
  let alice: TestUser;
  let roomId: string;
  const seen = { messages: [] as MatrixMessage[], other: [] as string[] };

  before(async () => {
    t = await TestBridge.start(recordingPlugin(seen));
    alice = await t.user('alice');
    roomId = await t.bridge.puppets.bot.createRoom({ preset: 'public_chat', invite: [alice.userId] });
    await alice.client.join(roomId);
  });
  after(() => t.stop());

  const settle = async () => {
    await t.hs.waitForPushIdle(10_000);
    await t.bridge.inbox.drained();
  };
  const notices = () => t.hs.events(roomId).filter((e) => e.sender === t.botUserId && e.content['msgtype'] === 'm.notice');

  it('hands a declared capability to its handler', async () => {
    const id = await alice.client.sendText(roomId, 'plain words');
    await settle();
    assert.equal(seen.messages.at(-1)?.eventId, id);
    assert.equal(seen.messages.at(-1)?.body, 'plain words');
  });

  it('refuses an undeclared capability with a notice to the sender, and never calls its handler', async () => {
    const target = await alice.client.sendText(roomId, 'to be edited');
    await alice.client.sendEvent(roomId, 'm.room.message', {
      msgtype: 'm.text', body: '* edited', 'm.new_content': { msgtype: 'm.text', body: 'edited' },
      'm.relates_to': { rel_type: 'm.replace', event_id: target },
    });
    await alice.client.sendEvent(roomId, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: target, key: '👍' } });
    await alice.client.sendEvent(roomId, 'm.room.message', { msgtype: 'm.image', body: 'cat.png', url: 'mxc://localhost/cat' });
    await settle();
    await waitUntil(() => notices().length >= 3, 5_000, 'three refusal notices');
    const texts = notices().map((n) => String(n.content['body']));
    assert.ok(texts.some((b) => /cannot carry edits/.test(b)), texts.join(' | '));
    assert.ok(texts.some((b) => /cannot carry reactions/.test(b)));
    assert.ok(texts.some((b) => /cannot carry files and media/.test(b)));
    assert.deepEqual(seen.other, [], 'onEdit and onReaction were never called');
    assert.ok(!seen.messages.some((m) => m.msgtype === 'm.image'), 'the image did not reach onMessage');
  });

  it('does not hand the bridge\'s own messages (bot, ghosts) back to the plugin', async () => {
    const before = seen.messages.length;
    const ghost = t.bridge.puppets.get('@_test_bob:localhost');
    await ghost.ensureJoined(roomId);
    await ghost.sendText(roomId, 'from a ghost');
    await t.bridge.puppets.bot.sendNotice(roomId, 'from the bot');
    await settle();
    assert.ok(t.hs.events(roomId).some((e) => e.content['body'] === 'from a ghost'), 'the ghost message was posted and echoed');
    assert.equal(seen.messages.length, before, 'neither reached onMessage');
  });

  it('passes replies through with the id of the message they answer', async () => {
    const first = await alice.client.sendText(roomId, 'question');
    const reply = await alice.client.sendEvent(roomId, 'm.room.message', {
      msgtype: 'm.text', body: '> question\n\nanswer', 'm.relates_to': { 'm.in_reply_to': { event_id: first } },
    });
    await settle();
    const got = seen.messages.find((m) => m.eventId === reply);
    assert.equal(got?.replyTo?.eventId, first);
  });

  it('strips the reply fallback (body quote and <mx-reply>) from replies, keeping the event as it came', async () => {
    const first = await alice.client.sendText(roomId, 'the question');
    const content = {
      msgtype: 'm.text', body: `> <${alice.userId}> the question\n\nthe <answer>`,
      format: 'org.matrix.custom.html',
      formatted_body: `<mx-reply><blockquote><a href="https://matrix.to/#/${roomId}/${first}">In reply to</a> the question</blockquote></mx-reply>the &lt;answer&gt;`,
      'm.relates_to': { 'm.in_reply_to': { event_id: first } },
    };
    const reply = await alice.client.sendEvent(roomId, 'm.room.message', content);
    await settle();
    const got = seen.messages.find((m) => m.eventId === reply);
    assert.equal(got?.body, 'the <answer>');
    assert.equal(got?.html, 'the &lt;answer&gt;');
    assert.equal(got?.event.content['body'], content.body, 'the raw event keeps its fallback');
  });
});
