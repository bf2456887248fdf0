import assert from 'node:assert/strict';
import { RemotePushError } from '../../../src/plugin/remote/errors.js';
import { channel, RemoteHarness, user, BOT } from './harness.js';

describe('remote → Matrix: portals, ghosts and messages', function () {
  this.timeout(30_000);
  let h: RemoteHarness;

  beforeEach(async () => { h = await RemoteHarness.start(); });
  afterEach(async () => { await h.close(); });

  it('creates the portal and the ghost on the first message, and maps the ids', async () => {
    const alice = h.ghost('alice');
    const result = await h.plugin.push({
      kind: 'message', channel: channel('general', { topic: 'All things' }), sender: user('alice', 'Alice A'),
      id: 'm1', text: 'hello from the remote side', ts: 1_700_000_000_000,
    });
    assert.equal(result.duplicate, false);
    const roomId = result.roomId;
    assert.ok(roomId && result.eventId);

    assert.equal(h.hs.resolveAlias(`#${'rt_'}general:localhost`), roomId);
    assert.equal(h.hs.stateEvent(roomId, 'm.room.name')?.content['name'], 'Channel general');
    assert.equal(h.hs.stateEvent(roomId, 'm.room.topic')?.content['topic'], 'All things');
    assert.equal(h.hs.stateEvent(roomId, 'm.room.create')?.sender, BOT);
    assert.equal(h.hs.memberships(roomId)[alice], 'join');
    assert.equal(h.hs.user(alice)?.displayname, 'Alice A');
    assert.equal(h.hs.stateEvent(roomId, 'm.room.member', alice)?.content['displayname'], 'Alice A');

    const sent = h.hs.events(roomId).find((e) => e.event_id === result.eventId);
    assert.equal(sent?.sender, alice);
    assert.equal(sent?.content['body'], 'hello from the remote side');
    assert.equal(sent?.origin_server_ts, 1_700_000_000_000, 'the remote timestamp is kept');

    assert.equal(await h.plugin.ctx.mappings.roomForChannel('general'), roomId);
    assert.equal(await h.plugin.ctx.mappings.eventForRemote(roomId, 'm1'), result.eventId);
    assert.deepEqual(await h.plugin.ctx.mappings.remoteForEvent(result.eventId!), { roomId, remoteId: 'm1' });
  });

  it('posts the same remote message once, the repeat without any request', async () => {
    const event = { kind: 'message', channel: channel('dupes'), sender: user('bob', 'Bob'), id: 'same', text: 'only once' } as const;
    const first = await h.plugin.push(event);
    const mark = h.mark();
    const second = await h.plugin.push(event);
    assert.deepEqual(second, { roomId: first.roomId, eventId: first.eventId, duplicate: true });
    assert.equal(h.hs.requests.length, mark, 'no request for a duplicate');
    assert.deepEqual(h.bodies(first.roomId!), ['only once']);
  });

  it('makes one portal for concurrent first pushes, and keeps push order per portal', async () => {
    const roomsBefore = h.hs.rooms().length;
    const pushes = [];
    for (let i = 0; i < 15; i++) {
      for (const chan of ['a', 'b']) {
        pushes.push(h.plugin.push({ kind: 'message', channel: channel(chan), sender: user(i % 2 ? 'carol' : 'dan'), id: `${chan}${i}`, text: `${chan}-${i}` }));
      }
    }
    const results = await Promise.all(pushes);
    assert.equal(h.hs.rooms().length, roomsBefore + 2, 'one room per channel');
    for (const chan of ['a', 'b']) {
      const roomId = results.find((r) => r.eventId && h.hs.events(r.roomId!).some((e) => e.content['body'] === `${chan}-0`))?.roomId;
      assert.ok(roomId);
      assert.deepEqual(h.bodies(roomId), Array.from({ length: 15 }, (_, i) => `${chan}-${i}`));
    }
  });

  it('lands replies, threads, edits, reactions and redactions with the right relations', async () => {
    const chan = channel('rel');
    const root = await h.plugin.push({ kind: 'message', channel: chan, sender: user('erin', 'Erin'), id: 'root', text: 'root' });
    const roomId = root.roomId!;
    const reply = await h.plugin.push({ kind: 'message', channel: chan, sender: user('fred'), id: 'r1', text: 'a reply', replyTo: 'root' });
    const inThread = await h.plugin.push({ kind: 'message', channel: chan, sender: user('fred'), id: 't1', text: 'in thread', threadRoot: 'root' });
    const edit = await h.plugin.push({ kind: 'edit', channel: chan, sender: user('erin'), id: 'e1', targetId: 'root', text: 'root (edited)' });
    const reaction = await h.plugin.push({ kind: 'reaction', channel: chan, sender: user('fred'), id: 'x1', targetId: 'root', key: '👍' });
    const byId = (id: string | undefined) => h.hs.events(roomId).find((e) => e.event_id === id);
    assert.equal(byId(reaction.eventId)?.type, 'm.reaction');
    assert.deepEqual(byId(reaction.eventId)?.content['m.relates_to'], { rel_type: 'm.annotation', event_id: root.eventId, key: '👍' });
    const redaction = await h.plugin.push({ kind: 'redaction', channel: chan, sender: user('fred'), targetId: 'x1' });

    assert.deepEqual(byId(reply.eventId)?.content['m.relates_to'], { 'm.in_reply_to': { event_id: root.eventId } });
    const thread = byId(inThread.eventId)?.content['m.relates_to'] as Record<string, unknown>;
    assert.equal(thread['rel_type'], 'm.thread');
    assert.equal(thread['event_id'], root.eventId);
    const edited = byId(edit.eventId);
    assert.equal(edited?.sender, h.ghost('erin'));
    assert.deepEqual(edited?.content['m.relates_to'], { rel_type: 'm.replace', event_id: root.eventId });
    assert.equal((edited?.content['m.new_content'] as Record<string, unknown>)['body'], 'root (edited)');
    const redactionEvent = byId(redaction.eventId);
    assert.equal(redactionEvent?.type, 'm.room.redaction');
    assert.equal(redactionEvent?.sender, h.ghost('fred'));
    assert.deepEqual(byId(reaction.eventId)?.content, {}, 'the reaction is redacted');

    // Erin may not redact Fred's message (power level 0): the bot does it for her.
    await h.waitForMirrorJoin(roomId, h.ghost('erin'));
    const modRedaction = await h.plugin.push({ kind: 'redaction', channel: chan, sender: user('erin'), targetId: 'r1' });
    assert.equal(byId(modRedaction.eventId)?.sender, BOT);
    assert.deepEqual(byId(reply.eventId)?.content, {});

    // The same edit pushed again is posted once.
    const again = await h.plugin.push({ kind: 'edit', channel: chan, sender: user('erin'), id: 'e1', targetId: 'root', text: 'root (edited)' });
    assert.equal(again.eventId, edit.eventId);
  });

  it('refuses an edit, reaction or redaction of an unknown message with a clear error', async () => {
    const chan = channel('unknown');
    await h.plugin.push({ kind: 'message', channel: chan, sender: user('gina'), id: 'known', text: 'known' });
    await assert.rejects(
      h.plugin.push({ kind: 'edit', channel: chan, sender: user('gina'), id: 'e', targetId: 'never-seen', text: 'x' }),
      (err: unknown) => err instanceof RemotePushError && err.code === 'unknown-target' && /never-seen/.test(err.message),
    );
    await assert.rejects(
      h.plugin.push({ kind: 'reaction', channel: channel('no-portal'), sender: user('gina'), id: 'r', targetId: 'nope', key: 'x' }),
      RemotePushError,
    );
    assert.equal(await h.plugin.ctx.mappings.roomForChannel('no-portal'), undefined, 'no portal made for a reaction');
  });

  it('sends notices, emotes, HTML and media as the ghost', async () => {
    const chan = channel('kinds');
    const notice = await h.plugin.push({ kind: 'message', channel: chan, sender: user('hal'), id: 'n', text: 'note', msgtype: 'm.notice' });
    const roomId = notice.roomId!;
    const html = await h.plugin.push({ kind: 'message', channel: chan, sender: user('hal'), id: 'h', text: 'bold', html: '<b>bold</b>' });
    const media = await h.plugin.push({
      kind: 'message', channel: chan, sender: user('hal'), id: 'f', text: '',
      media: { data: new Uint8Array([1, 2, 3]), contentType: 'image/png', filename: 'dot.png', width: 1, height: 1 },
    });
    const byId = (id: string | undefined) => h.hs.events(roomId).find((e) => e.event_id === id)?.content;
    assert.equal(byId(notice.eventId)?.['msgtype'], 'm.notice');
    assert.equal(byId(html.eventId)?.['formatted_body'], '<b>bold</b>');
    const file = byId(media.eventId);
    assert.equal(file?.['msgtype'], 'm.image');
    assert.match(String(file?.['url']), /^mxc:\/\//);
    assert.equal(file?.['body'], 'dot.png');
  });
});
