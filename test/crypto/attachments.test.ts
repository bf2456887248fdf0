import assert from 'node:assert/strict';
import { EncryptedFileError, decryptAttachment, encryptAttachment } from '../../src/crypto/attachments.js';
import { classify } from '../../src/plugin/matrix-events.js';
import { downloadMedia } from '../../src/runtime/media-download.js';
import type { HomeserverApi } from '../../src/homeserver/index.js';
import { decryptV2, encryptV2 } from '../helpers/attachment-v2.js';

describe('crypto: encrypted attachments (v2)', () => {
  it('what bridgekit encrypts, an independent AES-CTR implementation opens; and the other way round', async () => {
    const plain = Buffer.from('bytes of a picture, say', 'utf8');
    const ours = await encryptAttachment(plain);
    assert.notDeepEqual(Buffer.from(ours.ciphertext), plain);
    assert.equal(ours.file.v, 'v2');
    assert.deepEqual(decryptV2(Buffer.from(ours.ciphertext), { ...ours.file, url: 'mxc://x/y' }), plain);

    const theirs = encryptV2(plain);
    assert.deepEqual(await decryptAttachment(theirs.ciphertext, { ...theirs.file, url: 'mxc://x/y' }), plain);
  });

  it('changed bytes are refused (the hash), never handed on', async () => {
    const { ciphertext, file } = encryptV2(Buffer.from('hello', 'utf8'));
    ciphertext[0] = ciphertext[0]! ^ 1;
    await assert.rejects(decryptAttachment(ciphertext, { ...file, url: 'mxc://x/y' }), EncryptedFileError);
  });

  it('a media message with `file` gives the plugin its URL and key; download() decrypts with the message\'s type and name', async () => {
    const { ciphertext, file } = encryptV2(Buffer.from('sealed text', 'utf8'));
    const event = {
      event_id: '$e', room_id: '!r:x', sender: '@a:x', origin_server_ts: 1, type: 'm.room.message',
      content: { msgtype: 'm.file', body: 'a.txt', info: { mimetype: 'text/plain' }, file: { ...file, url: 'mxc://x/cipher' } },
    };
    const classified = classify(event);
    assert.equal(classified.kind, 'message');
    const media = classified.kind === 'message' ? classified.value.media : undefined;
    assert.equal(media?.url, 'mxc://x/cipher');
    assert.equal(media?.file?.key.k, file.key.k);
    const api = { media: { download: async (mxc: string) => ({ data: mxc === 'mxc://x/cipher' ? ciphertext : Buffer.alloc(0), contentType: 'application/octet-stream' }) } } as unknown as HomeserverApi;
    const got = await downloadMedia(api, media!, 1024);
    assert.deepEqual(got, { data: Buffer.from('sealed text', 'utf8'), contentType: 'text/plain', filename: 'a.txt' });

    const broken = classify({ ...event, content: { ...event.content, file: { url: 'mxc://x/cipher', v: 'v1' } } });
    assert.equal(broken.kind === 'message' ? broken.value.media : 'not a message', undefined, 'a broken file is no media, never read as plain');
  });
});
