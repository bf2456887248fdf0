import assert from 'node:assert/strict';
import { createWebhookPlugin } from '../../../bridges/webhook/index.js';
import { waitUntil, type TestUser } from '../../../src/testing/index.js';
import { BOT, BotHarness, bodyOf } from '../../bot/harness.js';
import { createHook, post, Receiver, sleep } from './helpers.js';

describe('webhook bridge: outbound hook (end to end through the test homeserver)', function () {
  this.timeout(30_000);
  let h: BotHarness;
  let alice: TestUser;
  let receiver: Receiver;

  before(async () => {
    h = await BotHarness.start(createWebhookPlugin(), {
      pluginConfig: { outbound: { allowPrivateTargets: true, maxAttempts: 3, retryBaseMs: 30, retryMaxMs: 200, pollMs: 50, timeoutMs: 2_000 } },
    });
    alice = await h.user('alice');
    await alice.client.setDisplayName('Alice Liddell');
  });
  beforeEach(async () => {
    receiver = await Receiver.start();
  });
  afterEach(async () => receiver.close());
  after(async () => h.stop());

  /** A room of alice's whose messages go to the receiver. */
  async function outRoom(): Promise<string> {
    const roomId = await h.roomWithBot(alice);
    const answer = bodyOf(await h.ask(alice, roomId, `!webhook out ${receiver.url}`));
    assert.match(answer, /^Outbound webhook set: from now on every message in this room is POSTed as JSON to http:\/\/127\.0\.0\.1/);
    return roomId;
  }

  const arrived = (eventId: string, count = 1) =>
    waitUntil(() => receiver.for(eventId).length >= count, 5_000, `${count} request(s) for ${eventId}`);

  it('POSTs every message as JSON with an Idempotency-Key header and the key in the body', async () => {
    const roomId = await outRoom();
    const eventId = await h.send(alice, roomId, 'hello out there', '<i>hello</i> out there');
    await arrived(eventId);
    const [request] = receiver.for(eventId);
    assert.equal(request?.headers['idempotency-key'], eventId);
    assert.equal(request?.headers['content-type'], 'application/json');
    const body = request?.body ?? {};
    assert.equal(body['id'], eventId);
    assert.equal(body['room_id'], roomId);
    assert.equal(body['sender'], alice.userId);
    assert.equal(body['sender_name'], 'Alice Liddell');
    assert.equal(body['body'], 'hello out there');
    assert.equal(body['html'], '<i>hello</i> out there');
    assert.equal(body['msgtype'], 'm.text');
    assert.equal(typeof body['origin_server_ts'], 'number');

    // In order, each once.
    const ids = [];
    for (const text of ['one', 'two', 'three']) ids.push(await h.send(alice, roomId, text));
    await arrived(ids[2] ?? '');
    await sleep(150);
    assert.deepEqual(receiver.bodies(), ['hello out there', 'one', 'two', 'three']);
  });

  it('sends files as their mxc URI, and edits with the id of the message they replace', async () => {
    const roomId = await outRoom();
    const mxc = await alice.client.upload('data', 'text/plain', 'notes.txt');
    const file = await alice.client.sendEvent(roomId, 'm.room.message', { msgtype: 'm.file', body: 'notes.txt', url: mxc, info: { mimetype: 'text/plain', size: 4 } });
    await arrived(file);
    assert.deepEqual(receiver.for(file)[0]?.body['media'], { url: mxc, filename: 'notes.txt', mimetype: 'text/plain', size: 4 });

    const edit = await alice.client.sendEvent(roomId, 'm.room.message', {
      msgtype: 'm.text', body: '* fixed', 'm.new_content': { msgtype: 'm.text', body: 'fixed' }, 'm.relates_to': { rel_type: 'm.replace', event_id: file },
    });
    await arrived(edit);
    assert.equal(receiver.for(edit)[0]?.body['replaces'], file);
    assert.equal(receiver.for(edit)[0]?.body['body'], 'fixed');
  });

  it('retries a receiver that fails twice with 500, which then gets the message exactly once more', async () => {
    const roomId = await outRoom();
    receiver.answer(500, 500);
    const eventId = await h.send(alice, roomId, 'persistent');
    await arrived(eventId, 3);
    await sleep(300);
    const requests = receiver.for(eventId);
    assert.deepEqual(requests.map((r) => r.status), [500, 500, 200]);
    assert.ok(requests.every((r) => r.headers['idempotency-key'] === eventId), 'every try carries the same key');
    assert.match(bodyOf(await h.ask(alice, roomId, '!webhook list')), /1 delivered, 0 queued, 0 refused by the target, 0 given up/);
  });

  it('honours Retry-After on 429', async () => {
    const roomId = await outRoom();
    receiver.answer({ status: 429, headers: { 'Retry-After': '1' } });
    const eventId = await h.send(alice, roomId, 'slow down');
    await arrived(eventId, 2);
    const [first, second] = receiver.for(eventId);
    assert.ok((second?.at ?? 0) - (first?.at ?? 0) >= 950, `waited ${(second?.at ?? 0) - (first?.at ?? 0)} ms`);
  });

  it('gives up after maxAttempts, does not retry a 4xx, and counts both', async () => {
    const roomId = await outRoom();
    receiver.answer(503, 503, 503);
    const doomed = await h.send(alice, roomId, 'doomed');
    await arrived(doomed, 3);
    receiver.answer(400);
    const refused = await h.send(alice, roomId, 'refused');
    await arrived(refused);
    const after = await h.send(alice, roomId, 'after');
    await arrived(after);
    await sleep(300);
    assert.equal(receiver.for(doomed).length, 3);
    assert.equal(receiver.for(refused).length, 1);
    assert.match(bodyOf(await h.ask(alice, roomId, '!webhook list')), /1 delivered, 0 queued, 1 refused by the target, 1 given up after retries/);
  });

  it('never sends the bridge\'s own messages: the bot\'s answers and what hooks posted', async () => {
    const roomId = await outRoom();
    const { url } = await createHook(h, alice, roomId, 'in');
    await post(url, { text: 'from the bot' });
    await post(url, { text: 'from a ghost', username: 'ci' });
    const marker = await h.send(alice, roomId, 'marker');
    await arrived(marker);
    await h.settle();
    await sleep(200);
    assert.deepEqual(receiver.bodies(), ['marker'], 'only alice\'s message went out (commands are not relayed either)');
    assert.ok(h.hs.events(roomId).some((e) => e.sender === BOT && e.content['body'] === 'from the bot'));
  });

  it('stops with !webhook out off, and refuses a URL that is not http(s)', async () => {
    const roomId = await outRoom();
    const before = await h.send(alice, roomId, 'before off');
    await arrived(before);
    assert.match(bodyOf(await h.ask(alice, roomId, '!webhook out off')), /^Outbound webhook off/);
    await h.send(alice, roomId, 'after off');
    await h.settle();
    await sleep(200);
    assert.deepEqual(receiver.bodies(), ['before off']);
    assert.match(bodyOf(await h.ask(alice, roomId, '!webhook out ftp://example.org/x')), /must start with http:\/\/ or https:\/\//);
    assert.match(bodyOf(await h.ask(alice, roomId, '!webhook list')), /No outbound webhook\./);
    assert.equal(bodyOf(await h.ask(alice, roomId, '!webhook out off')), 'There was no outbound webhook here.');
  });
});
