import { strict as assert } from 'node:assert';
import type { RoomEvent } from '../../src/events/types.js';
import { MatrixError } from '../../src/homeserver/index.js';
import { MIRROR_CANNOT_JUDGE, PermissionDenied, textContent } from '../../src/puppets/index.js';
import { ALICE_PUPPET, BOB_PUPPET, BOT, Harness, botRoom, startWithJoinedRoom } from './harness.js';

const SEND = '/send/';

describe('puppets: messages', () => {
  let h: Harness;
  let roomId: string;
  beforeEach(async () => {
    ({ h, roomId } = await startWithJoinedRoom());
  });
  afterEach(() => h.close());

  const event = (eventId: string): RoomEvent => {
    const found = h.hs.events(roomId).find((e) => e.event_id === eventId);
    assert.ok(found, `event ${eventId} is in the room`);
    return found;
  };

  it('sends text, notice, emote and HTML, with external_url and ts', async () => {
    const alice = h.puppets.get(ALICE_PUPPET);
    const text = await alice.sendText(roomId, 'hello', { externalUrl: 'https://remote.example/m/1', ts: 1_700_000_000_000 });
    const notice = await alice.sendNotice(roomId, 'a notice');
    const emote = await alice.sendEmote(roomId, 'waves');
    const html = await alice.sendHtml(roomId, { body: 'bold', html: '<b>bold</b>' });
    assert.deepEqual(event(text).content, { msgtype: 'm.text', body: 'hello', external_url: 'https://remote.example/m/1' });
    assert.equal(event(text).sender, ALICE_PUPPET);
    assert.equal(event(text).origin_server_ts, 1_700_000_000_000);
    assert.deepEqual(event(notice).content, { msgtype: 'm.notice', body: 'a notice' });
    assert.deepEqual(event(emote).content, { msgtype: 'm.emote', body: 'waves' });
    assert.deepEqual(event(html).content, { msgtype: 'm.text', body: 'bold', format: 'org.matrix.custom.html', formatted_body: '<b>bold</b>' });
  });

  it('uploads media once per content and sends it with its info', async () => {
    const alice = h.puppets.get(ALICE_PUPPET);
    const data = new TextEncoder().encode('not really a png');
    const mark = h.mark();
    const image = await alice.sendMedia(roomId, { data, contentType: 'image/png', filename: 'cat.png', info: { w: 640, h: 480 } });
    const again = await alice.sendMedia(roomId, { data, contentType: 'image/png', filename: 'cat.png', caption: 'the cat again' });
    const audio = await alice.sendMedia(roomId, { data: new Uint8Array([1, 2, 3]), contentType: 'audio/ogg', filename: 'a.ogg', info: { duration: 1200 } });
    const video = await alice.sendMedia(roomId, { data: new Uint8Array([4]), contentType: 'video/mp4', filename: 'v.mp4' });
    const file = await alice.sendMedia(roomId, { data: new Uint8Array([5]), contentType: 'application/pdf', filename: 'doc.pdf' });
    assert.equal(h.requestsSince(mark, '/_matrix/media/v3/upload').length, 4, 'the repeated image was not uploaded again');

    const content = event(image).content;
    assert.equal(content['msgtype'], 'm.image');
    assert.equal(content['body'], 'cat.png');
    assert.equal(content['filename'], 'cat.png');
    assert.match(String(content['url']), /^mxc:\/\/localhost\//);
    assert.deepEqual(content['info'], { mimetype: 'image/png', size: data.byteLength, w: 640, h: 480 });
    assert.equal(event(again).content['url'], content['url']);
    assert.equal(event(again).content['body'], 'the cat again');
    assert.equal(event(audio).content['msgtype'], 'm.audio');
    assert.deepEqual(event(audio).content['info'], { mimetype: 'audio/ogg', size: 3, duration: 1200 });
    assert.equal(event(video).content['msgtype'], 'm.video');
    assert.equal(event(file).content['msgtype'], 'm.file');
    const download = await fetch(`${h.hs.url}/_matrix/media/v3/download/${String(content['url']).slice('mxc://'.length)}`);
    assert.deepEqual(new Uint8Array(await download.arrayBuffer()), data);
  });

  it('sends locations, replies, threads, edits, reactions and redactions', async () => {
    const alice = h.puppets.get(ALICE_PUPPET);
    const location = await alice.sendLocation(roomId, { latitude: 51.5, longitude: -0.12, body: 'London' });
    assert.deepEqual(event(location).content, { msgtype: 'm.location', body: 'London', geo_uri: 'geo:51.5,-0.12' });

    const root = await alice.sendText(roomId, 'root');
    const reply = await h.puppets.bot.sendText(roomId, 'a reply', { replyTo: root });
    assert.deepEqual(event(reply).content['m.relates_to'], { 'm.in_reply_to': { event_id: root } });

    const threaded = await alice.sendText(roomId, 'in thread', { thread: { root } });
    assert.deepEqual(event(threaded).content['m.relates_to'], {
      rel_type: 'm.thread', event_id: root, is_falling_back: true, 'm.in_reply_to': { event_id: root },
    });
    const threadReply = await alice.sendText(roomId, 'reply in thread', { thread: { root, latest: threaded }, replyTo: threaded });
    assert.deepEqual(event(threadReply).content['m.relates_to'], {
      rel_type: 'm.thread', event_id: root, is_falling_back: false, 'm.in_reply_to': { event_id: threaded },
    });

    const edit = await alice.edit(roomId, root, textContent('root, edited'), { idempotencyKey: 'edit-1' });
    assert.deepEqual(event(edit).content, {
      msgtype: 'm.text', body: '* root, edited',
      'm.new_content': { msgtype: 'm.text', body: 'root, edited' },
      'm.relates_to': { rel_type: 'm.replace', event_id: root },
    });

    const reaction = await h.puppets.bot.react(roomId, root, '👍');
    assert.equal(event(reaction).type, 'm.reaction');
    assert.deepEqual(event(reaction).content, { 'm.relates_to': { rel_type: 'm.annotation', event_id: root, key: '👍' } });

    const redaction = await alice.redact(roomId, threaded, { reason: 'deleted remotely' });
    assert.equal(event(redaction).type, 'm.room.redaction');
    assert.deepEqual(event(threaded).content, {}, 'the redacted event lost its content');
    assert.equal(await alice.redact(roomId, threaded), redaction, 'redacting again is the same redaction');
    await h.puppets.bot.redact(roomId, root, { eventSender: ALICE_PUPPET });
    assert.deepEqual(event(root).content, {});
  });

  it('refuses a forbidden send, state change and redaction before any request', async () => {
    const alice = h.puppets.get(ALICE_PUPPET);
    const mine = await h.puppets.bot.sendText(roomId, 'from the bot');
    await h.puppets.bot.setState(roomId, 'm.room.power_levels', '', {
      ...(await h.api.rooms.getStateContent(roomId, 'm.room.power_levels')), events_default: 20,
    });
    const mark = h.mark();
    await assert.rejects(alice.sendText(roomId, 'hi'), (err: unknown) => {
      assert.ok(err instanceof PermissionDenied);
      assert.equal(err.userId, ALICE_PUPPET);
      assert.equal(err.action, 'send m.room.message');
      assert.equal(err.required, 20);
      assert.equal(err.actual, 0);
      assert.match(err.rule, /^v10 auth rule \d/);
      assert.match(err.message, /@test_alice:localhost may not send m.room.message in .*needs power level 20; @test_alice:localhost has 0/);
      return true;
    });
    await assert.rejects(alice.sendMedia(roomId, { data: new Uint8Array([1]), contentType: 'image/png' }), PermissionDenied);
    await assert.rejects(alice.setState(roomId, 'm.room.topic', '', { topic: 'x' }), (err: unknown) => err instanceof PermissionDenied && err.required === 50);
    await assert.rejects(alice.redact(roomId, mine, { eventSender: BOT }), PermissionDenied);
    await assert.rejects(h.puppets.get(BOB_PUPPET).react(roomId, mine, 'x'), (err: unknown) => err instanceof PermissionDenied && /not in the room|joined/.test(err.message));
    assert.deepEqual(h.requestsSince(mark).filter((r) => !r.path.includes('/register')), []);
  });

  it('refuses a message the endpoint would refuse whatever the levels (over 65536 bytes) before any request', async () => {
    const alice = h.puppets.get(ALICE_PUPPET);
    const mark = h.mark();
    await assert.rejects(alice.sendText(roomId, 'x'.repeat(70_000)), (err: unknown) => {
      assert.ok(err instanceof PermissionDenied);
      assert.match(err.rule, /Size limits/);
      return true;
    });
    assert.deepEqual(h.requestsSince(mark).filter((r) => !r.path.includes('/register')), []);
    const sent = await alice.sendHtml(roomId, { body: 'b', html: '<b onclick="x()">b</b><script>y()</script>' });
    assert.equal(event(sent).content['formatted_body'], '<b>b</b>', 'HTML is sanitised on the way out');
  });

  it('refuses sends to a room the mirror cannot judge under the `refuse` policy, and asks the homeserver otherwise', async () => {
    const carol = await h.hs.registerUser('carol');
    const unknown = await carol.client.createRoom({ preset: 'public_chat' });
    const mark = h.mark();
    await assert.rejects(h.puppets.get(ALICE_PUPPET).sendText(unknown, 'hi'), (err: unknown) => err instanceof MatrixError && err.status === 403);
    assert.equal(h.requestsSince(mark, SEND).length, 1, 'the homeserver decided');

    await h.close();
    h = await Harness.start({ puppets: { whenMirrorCannotJudge: 'refuse' } });
    const dave = await h.hs.registerUser('dave');
    const other = await dave.client.createRoom({ preset: 'public_chat' });
    const mark2 = h.mark();
    await assert.rejects(h.puppets.get(ALICE_PUPPET).sendText(other, 'hi'), (err: unknown) =>
      err instanceof PermissionDenied && err.rule === MIRROR_CANNOT_JUDGE);
    assert.deepEqual(h.requestsSince(mark2), []);
  });

  it('posts a send retried after a crash once', async () => {
    await h.close();
    h = await Harness.start({ proxy: true });
    roomId = await botRoom(h, { preset: 'public_chat' });
    await h.puppets.get(ALICE_PUPPET).ensureJoined(roomId);
    // Every attempt reaches the homeserver, but no answer gets back before the bridge dies.
    h.proxy!.loseAnswers = (method, path) => method === 'PUT' && path.includes(SEND);
    await assert.rejects(h.puppets.get(ALICE_PUPPET).sendText(roomId, 'exactly once', { idempotencyKey: 'remote-msg-1' }));
    assert.ok(h.proxy!.lost >= 1);
    await h.restartBridge();
    h.proxy!.loseAnswers = () => false;

    const mark = h.mark();
    const eventId = await h.puppets.get(ALICE_PUPPET).sendText(roomId, 'exactly once', { idempotencyKey: 'remote-msg-1' });
    assert.equal(h.requestsSince(mark, SEND).length, 1, 'sent again, with the same txnId');
    assert.equal(await h.puppets.get(ALICE_PUPPET).sendText(roomId, 'exactly once', { idempotencyKey: 'remote-msg-1' }), eventId);
    assert.equal(h.requestsSince(mark, SEND).length, 1, 'then answered from the store');
    const copies = h.hs.events(roomId).filter((e) => e.content['body'] === 'exactly once');
    assert.deepEqual(copies.map((e) => e.event_id), [eventId], 'posted once');
  });
});
