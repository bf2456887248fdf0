import assert from 'node:assert/strict';
import echo from '../../../bridges/echo/index.js';
import type { BridgePlugin, PluginContext } from '../../../src/plugin/contract.js';
import type { PluginPuppets } from '../../../src/plugin/services.js';
import { E2eBridge, e2e, eventually, type E2eContext } from '../harness/index.js';
import { decryptV2, encryptV2, type V2File } from '../../helpers/attachment-v2.js';
import { EncryptingClient } from './js-sdk-client.js';

/**
 * The echo bot in encrypted rooms on Synapse 1.94, against matrix-js-sdk's Rust crypto as
 * the person: the bot must read what is sent to it and the client must decrypt its answers.
 */
/**
 * The echo bot, and a ghost on request: `ghost: <text>` makes `@e2e_encrypted_ghost` join and
 * say `<text>` (as a bridge's puppet speaks for a remote user); `ghost-file: <text>` makes it
 * send `<text>` as a file, `note.txt`; a file someone sends is downloaded by the plugin and
 * the ghost says `read <filename>: <its text>`.
 */
function echoWithGhost(domain: string): BridgePlugin {
  let puppets: PluginPuppets | undefined;
  let media: PluginContext['media'] | undefined;
  return {
    ...echo,
    name: 'echo-with-ghost',
    capabilities: { ...echo.capabilities, messages: true },
    async start(ctx) {
      puppets = ctx.puppets;
      media = ctx.media;
      await echo.start(ctx);
    },
    async onMessage(message, room, scope) {
      const ghost = puppets!.get(`@e2e_encrypted_ghost:${domain}`);
      if (message.media) {
        const file = await media!.download(message.media);
        await ghost.ensureJoined(room.roomId);
        await ghost.sendText(room.roomId, `read ${file.filename ?? '?'} (${file.contentType}): ${file.data.toString('utf8')}`);
        return;
      }
      const asFile = /^ghost-file: (.+)$/.exec(message.body);
      if (asFile) {
        await ghost.ensureJoined(room.roomId);
        await ghost.sendMedia(room.roomId, { data: Buffer.from(asFile[1]!, 'utf8'), contentType: 'text/plain', filename: 'note.txt' });
        return;
      }
      const said = /^ghost: (.+)$/.exec(message.body);
      if (!said) return echo.onMessage?.(message, room, scope);
      await ghost.ensureJoined(room.roomId);
      await ghost.sendText(room.roomId, said[1]!);
    },
  };
}

describe('encryption: the echo bot in an encrypted room, with a real encrypting client', function () {
  let ctx: E2eContext;
  let bot: E2eBridge;
  const clients: EncryptingClient[] = [];

  before(async () => {
    ctx = await e2e();
    bot = await E2eBridge.start(ctx.synapse, ctx.appservice('encrypted'), () => echoWithGhost(ctx.synapse.serverName), { config: { encryption: { enabled: true, keyWaitSeconds: 5 } } });
  });
  after(async () => {
    for (const c of clients) c.stop();
    await bot?.stop();
  });

  async function person(name: string): Promise<EncryptingClient> {
    const client = await EncryptingClient.newUser(ctx.synapse, name);
    clients.push(client);
    return client;
  }

  /** An encrypted room made by `alice`, the bot invited and joined, as both sides see it. */
  async function encryptedRoomWithBot(alice: EncryptingClient, name: string): Promise<string> {
    return withBot(alice, await alice.createEncryptedRoom(name));
  }

  /** The bot invited into `roomId` and joined, as both sides see it. */
  async function withBot(alice: EncryptingClient, roomId: string): Promise<string> {
    await alice.inviteAndWaitForJoin(roomId, bot.botUserId);
    await eventually(async () => (await bot.bridge.mirror.room(roomId))?.hydrated, 'the bridge to hold the room');
    return roomId;
  }

  it('reads !echo sent encrypted and answers encrypted; the client decrypts the answer', async () => {
    const alice = await person('alice');
    const roomId = await encryptedRoomWithBot(alice, 'encrypted echo');
    const started = performance.now();
    await alice.say(roomId, '!echo secret hello');
    const answer = await alice.waitForDecrypted(roomId, bot.botUserId, (b) => b === 'secret hello', 'the bot\'s decrypted answer');
    const ms = performance.now() - started;
    assert.equal(answer.isEncrypted(), true, 'the answer was sent encrypted');
    assert.equal(answer.getWireType(), 'm.room.encrypted');
    assert.deepEqual(bot.warnings().map((l) => l.msg), [], 'no warning');
    console.log(`      encrypted round trip (first message, sessions set up): ${ms.toFixed(0)} ms`);
  });

  /**
   * Sends `!echo <text>` and waits for the answer; returns the answer, the round trip in ms
   * as the client sees it, and the time inside the bridge (from journaling the transaction
   * with the message to the answer sent, by the bridge's log times).
   */
  async function echoRound(alice: EncryptingClient, roomId: string, text: string): Promise<{ ms: number; bridgeMs?: number; encrypted: boolean }> {
    const from = bot.logs.length;
    const started = performance.now();
    await alice.say(roomId, `!echo ${text}`);
    const answer = await alice.waitForDecrypted(roomId, bot.botUserId, (b) => b === text, `the answer "${text}"`);
    const ms = performance.now() - started;
    const lines = bot.logs.slice(from);
    const journaled = lines.find((l) => l.msg === 'transaction journaled' && Number(l['events']) > 0);
    const sent = lines.find((l) => l.msg === 'sent' && l['roomId'] === roomId && l['userId'] === bot.botUserId);
    const bridgeMs = journaled && sent ? Number(sent['time']) - Number(journaled['time']) : undefined;
    return { ms, ...(bridgeMs !== undefined ? { bridgeMs } : {}), encrypted: answer.isEncrypted() };
  }

  it('keeps reading and writing across a restart of the bridge (the sessions came back from its store)', async () => {
    const alice = await person('alice');
    const roomId = await encryptedRoomWithBot(alice, 'restart');
    assert.equal((await echoRound(alice, roomId, 'before restart')).encrypted, true);
    const device = bot.logs.filter((l) => l.msg === 'end-to-end encryption ready').at(-1)?.['deviceId'];
    await bot.restart();
    const after = bot.logs.filter((l) => l.msg === 'end-to-end encryption ready').at(-1);
    assert.equal(after?.['restored'], true, 'the crypto store was restored');
    assert.equal(after?.['deviceId'], device, 'the same device');
    // Alice's Megolm session is the one from before the restart: only the restored store holds its key.
    assert.equal((await echoRound(alice, roomId, 'after restart')).encrypted, true);
    assert.equal(alice.undecryptableFrom(roomId, bot.botUserId), 0, 'alice could read everything the bot said');
    assert.deepEqual(bot.warnings().map((l) => l.msg), [], 'no warning');
  });

  it('works in a room that becomes encrypted after the bot joined; measures plaintext vs encrypted round trips', async () => {
    const alice = await person('alice');
    const roomId = await withBot(alice, (await alice.client.createRoom({ name: 'later encrypted' })).room_id);
    const first = await echoRound(alice, roomId, 'plain before');
    assert.equal(first.encrypted, false);
    await alice.client.sendStateEvent(roomId, 'm.room.encryption' as never, { algorithm: 'm.megolm.v1.aes-sha2' } as never, '');
    await eventually(async () => (await bot.bridge.mirror.room(roomId))?.encrypted, 'the bridge to see the room encrypted');
    await eventually(async () => alice.client.getCrypto()!.isEncryptionEnabledInRoom(roomId), 'alice to see the room encrypted');
    const firstSealed = await echoRound(alice, roomId, 'sealed first');
    assert.equal(firstSealed.encrypted, true, 'the bot encrypts once the room is encrypted');

    // The cost, measured in turns (so load on the shared machine falls on both alike): this
    // room, now encrypted with sessions set up, and a plaintext room with the same people.
    const plainRoom = await withBot(alice, (await alice.client.createRoom({ name: 'plaintext twin' })).room_id);
    await echoRound(alice, plainRoom, 'warm up');
    const ROUNDS = 9;
    const plain: number[] = [];
    const sealed: number[] = [];
    const plainInBridge: number[] = [];
    const sealedInBridge: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const p = await echoRound(alice, plainRoom, `plain ${i}`);
      assert.equal(p.encrypted, false);
      plain.push(p.ms);
      if (p.bridgeMs !== undefined) plainInBridge.push(p.bridgeMs);
      const e = await echoRound(alice, roomId, `sealed ${i}`);
      assert.equal(e.encrypted, true);
      sealed.push(e.ms);
      if (e.bridgeMs !== undefined) sealedInBridge.push(e.bridgeMs);
    }
    const median = (xs: number[]) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
    // Figures for docs/encryption.md ("Cost").
    console.log(`      echo round trip, median of ${ROUNDS} in turns: plaintext ${median(plain).toFixed(0)} ms, encrypted ${median(sealed).toFixed(0)} ms `
      + `(first encrypted in a room that was plaintext: ${firstSealed.ms.toFixed(0)} ms); inside the bridge (journaled -> answer sent): `
      + `plaintext ${median(plainInBridge).toFixed(0)} ms, encrypted ${median(sealedInBridge).toFixed(0)} ms (first ${firstSealed.bridgeMs?.toFixed(0) ?? '?'} ms)`);
    assert.deepEqual(bot.warnings().map((l) => l.msg), [], 'no warning');
  });

  it('a ghost speaking into an encrypted room encrypts with its own device, across a restart', async () => {
    const alice = await person('alice');
    const roomId = await encryptedRoomWithBot(alice, 'ghost');
    const ghostId = `@e2e_encrypted_ghost:${ctx.synapse.serverName}`;
    await alice.say(roomId, 'ghost: hello from the other side');
    const said = await alice.waitForDecrypted(roomId, ghostId, (b) => b === 'hello from the other side', 'the ghost\'s message', 30_000);
    assert.equal(said.isEncrypted(), true, 'the ghost\'s message was encrypted');
    const devices = bot.logs.filter((l) => l.msg === 'end-to-end encryption ready' && l['userId'] === ghostId);
    assert.equal(devices.length, 1, 'the ghost got a device of its own');
    await bot.restart();
    const again = bot.logs.filter((l) => l.msg === 'end-to-end encryption ready' && l['userId'] === ghostId).at(-1);
    assert.equal(again?.['restored'], true, 'the ghost\'s machine came back from the store at start');
    assert.equal(again?.['deviceId'], devices[0]!['deviceId']);
    await alice.say(roomId, 'ghost: still me');
    const later = await alice.waitForDecrypted(roomId, ghostId, (b) => b === 'still me', 'the ghost\'s message after the restart', 30_000);
    assert.equal(later.isEncrypted(), true);
    assert.equal(alice.undecryptableFrom(roomId, ghostId), 0);
    assert.deepEqual(bot.warnings().map((l) => l.msg), [], 'no warning');
  });

  it('files in an encrypted room are encrypted attachments both ways (checked against a node:crypto implementation of v2)', async () => {
    const alice = await person('alice');
    const roomId = await encryptedRoomWithBot(alice, 'files');
    const ghostId = `@e2e_encrypted_ghost:${ctx.synapse.serverName}`;

    // A ghost's file: the message carries `file` (with its key), not `url`; the upload is ciphertext.
    await alice.say(roomId, 'ghost-file: a secret note');
    const sent = await alice.waitForDecrypted(roomId, ghostId, (b) => b === 'note.txt', 'the ghost\'s file', 30_000);
    assert.equal(sent.isEncrypted(), true);
    const content = sent.getContent() as { url?: string; file?: V2File; msgtype?: string };
    assert.equal(content.msgtype, 'm.file');
    assert.equal(content.url, undefined, 'no plaintext url in an encrypted room');
    const v2 = content.file;
    assert.ok(v2 !== undefined, 'the file is given with its key');
    assert.ok(v2.url.startsWith('mxc://'));
    const [server, mediaId] = v2.url.slice('mxc://'.length).split('/');
    const response = await fetch(`${ctx.synapse.url}/_matrix/media/v3/download/${server}/${mediaId}`);
    const ciphertext = Buffer.from(await response.arrayBuffer());
    assert.notEqual(ciphertext.toString('utf8'), 'a secret note', 'the homeserver holds ciphertext');
    assert.equal(decryptV2(ciphertext, v2).toString('utf8'), 'a secret note');

    // Alice's encrypted file: the plugin's media.download hands it over decrypted.
    const { ciphertext: upload, file } = encryptV2(Buffer.from('from alice, sealed', 'utf8'));
    const { content_uri: url } = await alice.client.uploadContent(upload, { type: 'application/octet-stream', includeFilename: false });
    await alice.client.sendMessage(roomId, {
      msgtype: 'm.file', body: 'hello.txt', filename: 'hello.txt', info: { mimetype: 'text/plain', size: 18 }, file: { ...file, url },
    } as never);
    const read = await alice.waitForDecrypted(roomId, ghostId, (b) => b.startsWith('read '), 'the plugin\'s reading of alice\'s file', 30_000);
    assert.equal(read.getContent()['body'], 'read hello.txt (text/plain): from alice, sealed');
    assert.deepEqual(bot.warnings().map((l) => l.msg), [], 'no warning');
  });
});
