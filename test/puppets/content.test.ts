import { strict as assert } from 'node:assert';
import {
  createRoomBody, editContent, emoteContent, geoUri, htmlContent, inThread, locationContent, mediaContent, mediaKindOf,
  noticeContent, reactionContent, spaceChildContent, spaceParentContent, spaceSettings, textContent, withMentions, withRelations,
} from '../../src/puppets/index.js';
import { classify } from '../../src/plugin/matrix-events.js';

describe('puppets: content builders', () => {
  it('builds text, notice, emote and HTML with external_url', () => {
    assert.deepEqual(textContent('hi', { externalUrl: 'https://x/1' }), { msgtype: 'm.text', body: 'hi', external_url: 'https://x/1' });
    assert.deepEqual(noticeContent('n'), { msgtype: 'm.notice', body: 'n' });
    assert.deepEqual(emoteContent('waves'), { msgtype: 'm.emote', body: 'waves' });
    assert.deepEqual(htmlContent({ body: '*a*', html: '<em>a</em>' }, { msgtype: 'm.notice' }), {
      msgtype: 'm.notice', body: '*a*', format: 'org.matrix.custom.html', formatted_body: '<em>a</em>',
    });
  });

  it('adds m.mentions only when told whom a message mentions, and reads it back from events', () => {
    assert.deepEqual(withMentions(textContent('hi'), undefined), { msgtype: 'm.text', body: 'hi' }, 'none given: display names still highlight');
    const content = withMentions(textContent('alice: hi'), { userIds: ['@alice:x', '@alice:x', '@bob:x'] });
    assert.deepEqual(content['m.mentions'], { user_ids: ['@alice:x', '@bob:x'] });
    assert.deepEqual(withMentions(textContent('all'), { room: true })['m.mentions'], { room: true });
    assert.deepEqual(withMentions(textContent('nobody'), {})['m.mentions'], {}, 'an empty object: mentions no one, on purpose');
    const event = { type: 'm.room.message', event_id: '$e', room_id: '!r:x', sender: '@s:x', origin_server_ts: 1, content: { ...content, 'm.mentions': { user_ids: ['@alice:x', 7], room: true } } };
    const classified = classify(event);
    assert.equal(classified.kind, 'message');
    assert.deepEqual(classified.kind === 'message' && classified.value.mentions, { userIds: ['@alice:x'], room: true });
    const without = classify({ ...event, content: textContent('plain') });
    assert.equal(without.kind === 'message' && without.value.mentions, undefined);
  });

  it('builds media contents and picks the msgtype from the MIME type', () => {
    assert.equal(mediaKindOf('image/webp'), 'm.image');
    assert.equal(mediaKindOf('Audio/ogg'), 'm.audio');
    assert.equal(mediaKindOf('video/mp4'), 'm.video');
    assert.equal(mediaKindOf('application/zip'), 'm.file');
    assert.deepEqual(mediaContent({
      kind: 'm.video', url: 'mxc://hs/v', filename: 'v.mp4', caption: 'look', captionHtml: '<b>look</b>',
      info: { mimetype: 'video/mp4', size: 10, w: 1, h: 2, duration: 3, thumbnailUrl: 'mxc://hs/t', thumbnailInfo: { w: 1 } },
    }), {
      msgtype: 'm.video', body: 'look', filename: 'v.mp4', url: 'mxc://hs/v', format: 'org.matrix.custom.html', formatted_body: '<b>look</b>',
      info: { mimetype: 'video/mp4', size: 10, w: 1, h: 2, duration: 3, thumbnail_url: 'mxc://hs/t', thumbnail_info: { w: 1 } },
    });
    assert.deepEqual(mediaContent({ kind: 'm.file', url: 'mxc://hs/f', filename: 'f.txt' }), { msgtype: 'm.file', body: 'f.txt', filename: 'f.txt', url: 'mxc://hs/f' });
  });

  it('builds locations', () => {
    assert.equal(geoUri({ latitude: 1.5, longitude: -2, uncertainty: 30 }), 'geo:1.5,-2;u=30');
    assert.throws(() => geoUri({ latitude: 91, longitude: 0 }), RangeError);
    assert.deepEqual(locationContent({ latitude: 0, longitude: 0 }), { msgtype: 'm.location', body: 'Location: geo:0,0', geo_uri: 'geo:0,0' });
  });

  it('builds relations: replies, threads, edits, reactions', () => {
    const text = textContent('x');
    assert.deepEqual(withRelations(text, {}), text);
    assert.deepEqual(withRelations(text, { replyTo: '$r' })['m.relates_to'], { 'm.in_reply_to': { event_id: '$r' } });
    assert.deepEqual(inThread(text, { root: '$root', latest: '$last' })['m.relates_to'], {
      rel_type: 'm.thread', event_id: '$root', is_falling_back: true, 'm.in_reply_to': { event_id: '$last' },
    });
    const edited = editContent('$t', { ...htmlContent({ body: 'b', html: '<i>b</i>' }), 'm.relates_to': { 'm.in_reply_to': { event_id: '$r' } } });
    assert.deepEqual(edited, {
      msgtype: 'm.text', body: '* b', format: 'org.matrix.custom.html', formatted_body: '* <i>b</i>',
      'm.new_content': { msgtype: 'm.text', body: 'b', format: 'org.matrix.custom.html', formatted_body: '<i>b</i>' },
      'm.relates_to': { rel_type: 'm.replace', event_id: '$t' },
    });
    assert.deepEqual(reactionContent('$t', '🎉'), { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$t', key: '🎉' } });
  });

  it('builds createRoom bodies, spaces and space links', () => {
    assert.deepEqual(createRoomBody({}), { preset: 'private_chat' });
    assert.deepEqual(createRoomBody({
      name: 'n', topic: 't', avatarUrl: 'mxc://hs/a', alias: '#irc_chan:hs', preset: 'public_chat', visibility: 'public',
      powerLevels: { ban: 100 }, invite: ['@u:hs'], initialState: [{ type: 'x.y', content: { a: 1 } }], roomVersion: '11', isDirect: true,
      creationContent: { 'm.federate': false },
    }), {
      preset: 'public_chat', visibility: 'public', name: 'n', topic: 't', room_alias_name: 'irc_chan', power_level_content_override: { ban: 100 },
      invite: ['@u:hs'], room_version: '11', is_direct: true, creation_content: { 'm.federate': false },
      initial_state: [{ type: 'x.y', state_key: '', content: { a: 1 } }, { type: 'm.room.avatar', state_key: '', content: { url: 'mxc://hs/a' } }],
    });
    const space = spaceSettings({ powerLevels: { invite: 0 }, creationContent: { a: 1 } });
    assert.deepEqual(space.creationContent, { a: 1, type: 'm.space' });
    assert.deepEqual(space.powerLevels, { events_default: 100, invite: 0 });
    assert.deepEqual(spaceChildContent(['hs'], { order: 'b' }), { via: ['hs'], order: 'b' });
    assert.deepEqual(spaceParentContent(['hs'], false), { via: ['hs'] });
    assert.throws(() => spaceChildContent([]), RangeError);
  });
});
