import assert from 'node:assert/strict';
import { hashSecret } from '../../../bridges/webhook/hooks.js';
import { createLogger } from '../../../src/log/logger.js';
import { createWebhookPlugin } from '../../../bridges/webhook/index.js';
import type { RoomEvent } from '../../../src/events/types.js';
import type { TestUser } from '../../../src/testing/index.js';
import { BOT, BotHarness, bodyOf } from '../../bot/harness.js';
import { createHook, imageServer, post, storeContains } from './helpers.js';

describe('webhook bridge: inbound hooks (end to end through the test homeserver)', function () {
  this.timeout(30_000);
  let h: BotHarness;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  /** Every log line of the bridge, at the most verbose level. */
  const logs: string[] = [];

  before(async () => {
    const logger = createLogger({ level: 'trace' }, { write: (line: string) => void logs.push(line) });
    h = await BotHarness.start(createWebhookPlugin(), { pluginConfig: { inbound: { maxBodyBytes: 4096 } }, logger, allowPrivateTargets: true });
    alice = await h.user('alice');
    bob = await h.user('bob');
    carol = await h.user('carol');
  });
  after(async () => h.stop());

  /** A room made by alice (100) with bob at 50 and carol at 0, all joined. */
  async function room(): Promise<string> {
    const roomId = await h.roomWithBot(alice, { power_level_content_override: { users: { [alice.userId]: 100, [bob.userId]: 50 } } });
    for (const user of [bob, carol]) {
      await alice.client.invite(roomId, user.userId);
      await user.client.join(roomId);
      await h.waitForMembership(roomId, user.userId, 'join');
    }
    return roomId;
  }

  const messageWith = (roomId: string, body: string): Promise<RoomEvent> =>
    h.hs.waitForEvent(roomId, (e) => e.type === 'm.room.message' && e.content['body'] === body);

  it('creates a hook for a user at 50 and refuses one at 0, naming both levels', async () => {
    const roomId = await room();
    const refused = bodyOf(await h.ask(carol, roomId, '!webhook create deploy'));
    assert.equal(refused, '!webhook needs power level 50 in this room; you have 0.');

    const { url, answer } = await createHook(h, bob, roomId, 'deploy');
    assert.match(answer, /^Webhook "deploy" created\. POST JSON/);
    assert.match(url, /\/bridge\/webhook\/hooks\/[A-Za-z0-9_-]{43}$/);
    assert.match(bodyOf(await h.ask(bob, roomId, '!webhook create Deploy')), /already a webhook named "deploy"/);
    assert.match(bodyOf(await h.ask(bob, roomId, '!webhook create no/slash')), /is not\)\.$/);
  });

  it('refuses an outbound target on a local address by default, saying how to allow it', async () => {
    const roomId = await room();
    const answer = bodyOf(await h.ask(bob, roomId, '!webhook out http://127.0.0.1:9/collect'));
    assert.match(answer, /^Not set: 127\.0\.0\.1 is a private or local address .*allowPrivateTargets/);
  });

  it('posts the text of a POST as the bot when no username is given', async () => {
    const roomId = await room();
    const { url } = await createHook(h, alice, roomId, 'ci');
    const res = await post(url, { text: 'build #42 passed' });
    assert.equal(res.status, 200);
    const event = await messageWith(roomId, 'build #42 passed');
    assert.equal(event.sender, BOT);
    assert.equal(event.content['msgtype'], 'm.text');
    assert.equal(res.json['event_id'], event.event_id);
  });

  it('marks the room with m.bridge (and uk.half-shot.bridge) once a hook posts, where the bot may set state', async () => {
    const roomId = await h.roomWithBot(alice, { power_level_content_override: { users: { [alice.userId]: 100, [BOT]: 50 } } });
    const { url } = await createHook(h, alice, roomId, 'alerts');
    assert.equal((await post(url, { text: 'disk full' })).status, 200);
    const key = `bridgekit.webhook://webhook/room:${roomId}`;
    const info = await h.hs.waitForEvent(roomId, (e) => e.type === 'm.bridge' && e.state_key === key);
    assert.equal(info.sender, BOT);
    assert.deepEqual(info.content, { bridgebot: BOT, protocol: { id: 'webhook', displayname: 'Webhook' }, channel: { id: `room:${roomId}` } });
    const twin = await h.hs.waitForEvent(roomId, (e) => e.type === 'uk.half-shot.bridge' && e.state_key === key);
    assert.deepEqual(twin.content, info.content);
  });

  it('posts as a ghost named after username, with its avatar; two hooks get two ghosts', async () => {
    const roomId = await room();
    const first = await createHook(h, alice, roomId, 'first');
    const second = await createHook(h, alice, roomId, 'second');
    assert.equal((await post(first.url, { text: 'deploying', username: 'deploybot', avatar_url: 'mxc://localhost/deploybot' })).status, 200);
    const event = await messageWith(roomId, 'deploying');
    assert.notEqual(event.sender, BOT);
    assert.match(event.sender, /^@_echo_.*deploybot:localhost$/);
    const member = h.hs.stateEvent(roomId, 'm.room.member', event.sender);
    assert.equal(member?.content['displayname'], 'deploybot');
    assert.equal(member?.content['avatar_url'], 'mxc://localhost/deploybot');

    await post(second.url, { text: 'also deploying', username: 'deploybot' });
    const other = await messageWith(roomId, 'also deploying');
    assert.notEqual(other.sender, event.sender, 'another hook\'s "deploybot" is another ghost');
    assert.equal(h.hs.stateEvent(roomId, 'm.room.member', other.sender)?.content['displayname'], 'deploybot');

    await post(first.url, { text: 'done deploying', username: 'deploybot' });
    assert.equal((await messageWith(roomId, 'done deploying')).sender, event.sender, 'the same hook and name: the same ghost');
  });

  it('downloads an http avatar_url and sets it on the ghost', async () => {
    const images = await imageServer();
    try {
      const roomId = await room();
      const { url } = await createHook(h, alice, roomId, 'avatar');
      assert.equal((await post(url, { text: 'with a face', username: 'Grafana Alerts', avatar_url: images.url })).status, 200);
      const event = await messageWith(roomId, 'with a face');
      const member = h.hs.stateEvent(roomId, 'm.room.member', event.sender);
      assert.equal(member?.content['displayname'], 'Grafana Alerts');
      assert.match(String(member?.content['avatar_url']), /^mxc:\/\/localhost\//);
      assert.equal(images.hits(), 1);
    } finally {
      await images.close();
    }
  });

  it('posts html as formatted_body, and honours msgtype', async () => {
    const roomId = await room();
    const { url } = await createHook(h, alice, roomId, 'html');
    await post(url, { text: 'bold move', html: '<b>bold</b> move' });
    const event = await messageWith(roomId, 'bold move');
    assert.equal(event.content['format'], 'org.matrix.custom.html');
    assert.equal(event.content['formatted_body'], '<b>bold</b> move');
    await post(url, { text: 'quiet', msgtype: 'm.notice' });
    assert.equal((await messageWith(roomId, 'quiet')).content['msgtype'], 'm.notice');
  });

  it('answers bad requests with 400 and a clear errcode, naming the field', async () => {
    const roomId = await room();
    const { url } = await createHook(h, alice, roomId, 'strict');
    const notJson = await post(url, '{"text": "unterminated');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json['errcode'], 'M_NOT_JSON');
    const empty = await post(url, undefined);
    assert.equal(empty.status, 400);
    assert.equal(empty.json['errcode'], 'M_NOT_JSON');

    const missing = await post(url, { username: 'x' });
    assert.equal(missing.status, 400);
    assert.equal(missing.json['errcode'], 'M_BAD_JSON');
    assert.match(String(missing.json['error']), /'text' is required/);
    const wrong = await post(url, { text: 7, avatar_url: 'ftp://x/y.png' });
    assert.equal(wrong.json['errcode'], 'M_BAD_JSON');
    assert.match(String(wrong.json['error']), /'text' must be a string/);
    assert.match(String(wrong.json['error']), /'avatar_url' must be an mxc:\/\/ or http\(s\):\/\/ URL/);
    assert.match(String((await post(url, { text: '   ' })).json['error']), /'text' must not be empty/);
    assert.equal((await post(url, ['text'])).json['errcode'], 'M_BAD_JSON');

    const big = await post(url, { text: 'x'.repeat(5000) });
    assert.equal(big.status, 413);
    assert.equal(big.json['errcode'], 'M_TOO_LARGE');
    await h.settle();
    assert.equal(h.hs.events(roomId).filter((e) => e.type === 'm.room.message' && e.sender !== alice.userId && !String(e.content['body']).startsWith('Webhook')).length, 0);
  });

  it('answers 404 for an unknown secret, and for a revoked hook', async () => {
    const roomId = await room();
    const { url, secret } = await createHook(h, alice, roomId, 'temp');
    const unknown = await post(url.replace(secret, 'A'.repeat(43)), { text: 'hi' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json['errcode'], 'M_NOT_FOUND');
    assert.equal((await post(url.replace(secret, 'short'), { text: 'hi' })).status, 404);
    assert.equal((await post(url, { text: 'before revoking' })).status, 200);

    assert.equal(bodyOf(await h.ask(alice, roomId, '!webhook revoke temp')), 'Webhook "temp" revoked: its URL no longer works.');
    const revoked = await post(url, { text: 'after revoking' });
    assert.equal(revoked.status, 404);
    assert.equal(revoked.json['errcode'], 'M_NOT_FOUND');
    assert.equal(bodyOf(await h.ask(alice, roomId, '!webhook revoke temp')), 'There is no webhook named "temp" here.');
  });

  it('posts once when the same Idempotency-Key (or id) is POSTed twice', async () => {
    const roomId = await room();
    const { url } = await createHook(h, alice, roomId, 'retrying');
    const first = await post(url, { text: 'only once' }, { 'Idempotency-Key': 'job-1' });
    const again = await post(url, { text: 'only once' }, { 'Idempotency-Key': 'job-1' });
    assert.equal(first.status, 200);
    assert.equal(again.status, 200);
    assert.equal(again.json['event_id'], first.json['event_id']);
    assert.equal(again.json['duplicate'], true);
    await post(url, { text: 'by body id', id: 'job-2' });
    await post(url, { text: 'by body id', id: 'job-2' });
    await post(url, { text: 'no key' });
    await post(url, { text: 'no key' });
    await h.settle();
    const bodies = h.hs.events(roomId).filter((e) => e.type === 'm.room.message').map(bodyOf);
    assert.equal(bodies.filter((b) => b === 'only once').length, 1);
    assert.equal(bodies.filter((b) => b === 'by body id').length, 1);
    assert.equal(bodies.filter((b) => b === 'no key').length, 2, 'without a key, two POSTs are two messages');
  });

  it('lists hooks by name (never their secrets) and keeps secrets only hashed', async () => {
    const roomId = await room();
    const a = await createHook(h, alice, roomId, 'alpha');
    await createHook(h, bob, roomId, 'beta');
    const list = bodyOf(await h.ask(bob, roomId, '!webhook list'));
    assert.match(list, /• alpha, created by @alice:localhost/);
    assert.match(list, /• beta, created by @bob:localhost/);
    assert.match(list, /No outbound webhook\./);
    assert.ok(!list.includes(a.secret));
    assert.match(bodyOf(await h.ask(carol, roomId, '!webhook list')), /needs power level 50/);

    // Every key and value of every section. (Raw Level log files are not checked: the bot's
    // answer with the URL comes back through the inbox journal like every room event, and
    // its deleted journal entry stays in the log until compaction.)
    assert.equal(await storeContains(h, a.secret), false, 'no key or value holds the secret');
    assert.equal(await storeContains(h, hashSecret(a.secret)), true, 'its SHA-256 is what is kept');
  });

  it('lists no hooks in a room without any', async () => {
    const roomId = await room();
    const list = bodyOf(await h.ask(alice, roomId, '!webhook list'));
    assert.equal(list, 'No inbound webhooks here.\nNo outbound webhook.');
    assert.match(bodyOf(await h.ask(alice, roomId, '!webhook frob')), /^Usage: !webhook create <name>/);
    const help = bodyOf(await h.ask(alice, roomId, '!help'));
    assert.match(help, /!webhook create <name> \| list .*\(needs power level 50\)/);
  });

  it('never logs a secret, at any level, whatever the requests', async () => {
    const roomId = await room();
    const { url, secret } = await createHook(h, alice, roomId, 'quiet');
    await post(url, '{not json');
    await post(url, { text: 'x'.repeat(5000) });
    await post(url, { nope: 1 });
    await post(url, { text: 'logged?', username: 'logger' });
    await h.ask(alice, roomId, '!webhook revoke quiet');
    await post(url, { text: 'gone' });
    await h.settle();
    assert.ok(logs.some((line) => line.includes('"level":20')), 'the bridge logged, debug lines included');
    assert.deepEqual(logs.filter((line) => line.includes(secret)), []);
  });

  it('does not relay what it posted back into the room to the plugin (no loops)', async () => {
    const roomId = await room();
    const { url } = await createHook(h, alice, roomId, 'loop');
    await post(url, { text: '!webhook list', username: 'sneaky' });
    await post(url, { text: '!webhook list' });
    await h.settle();
    const answers = h.hs.events(roomId).filter((e) => e.sender === BOT && /^(No inbound|Inbound webhooks)/.test(bodyOf(e)));
    assert.equal(answers.length, 0, 'commands posted through a hook are not run');
    assert.equal(await h.deadLetters(), 0);
  });

  it('limits each hook to its burst, then answers 429 M_LIMIT_EXCEEDED with Retry-After; other hooks go on', async () => {
    const roomId = await room();
    const busy = (await createHook(h, bob, roomId, 'chatty')).url;
    const quiet = (await createHook(h, bob, roomId, 'quiet')).url;
    const answers = [];
    for (let i = 0; i < 21; i++) answers.push(await post(busy, { text: `burst ${i}` }));
    assert.deepEqual(answers.slice(0, 20).map((a) => a.status), Array(20).fill(200), 'the default burst is 20');
    const limited = answers[20]!;
    assert.equal(limited.status, 429);
    assert.equal(limited.json['errcode'], 'M_LIMIT_EXCEEDED');
    assert.ok(Number(limited.json['retry_after_ms']) > 0 && Number(limited.json['retry_after_ms']) <= 1_000, String(limited.json['retry_after_ms']));
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.equal((await post(quiet, { text: 'not held back' })).status, 200);
    await messageWith(roomId, 'not held back');
    assert.equal(h.hs.events(roomId).filter((e) => bodyOf(e) === 'burst 20').length, 0, 'the refused message was not posted');
  });
});
