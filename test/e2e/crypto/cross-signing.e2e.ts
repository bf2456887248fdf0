import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import echo from '../../../bridges/echo/index.js';
import { Sections, Store } from '../../../src/store/index.js';
import { E2eBridge, e2e, eventually, type E2eContext } from '../harness/index.js';
import { EncryptingClient } from './js-sdk-client.js';

const PASSPHRASE = `e2e-cross-signing-${'x'.repeat(40)}`;

/**
 * The bot's cross-signing on Synapse 1.94 (with `msc3967_enabled`), as matrix-js-sdk's Rust
 * crypto sees it: the bot's device is signed by its owner's identity, and stays so when
 * the crypto store is lost and a new device is made (the sealed keys sign it).
 */
describe('encryption: the bot is cross-signed, as a real client sees it', function () {
  this.timeout(120_000);
  let ctx: E2eContext;
  let dir: string;
  let bot: E2eBridge;
  let alice: EncryptingClient | undefined;

  before(async () => {
    ctx = await e2e();
    dir = await mkdtemp(join(tmpdir(), 'bridgekit-e2e-cross-signing-'));
    bot = await E2eBridge.start(ctx.synapse, ctx.appservice('crosssigned'), echo, {
      config: {
        store: { path: join(dir, 'store') },
        encryption: { enabled: true, keyWaitSeconds: 5, newDeviceIfStoreLost: true, crossSigning: { passphrase: PASSPHRASE } },
      },
    });
  });
  after(async () => {
    alice?.stop();
    await bot?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const outcomes = () => bot.logs.filter((l) => l.msg === 'cross-signing checked').map((l) => l['crossSigning']);
  const deviceIds = () => bot.logs.filter((l) => l.msg === 'end-to-end encryption ready' && l['userId'] === bot.botUserId).map((l) => String(l['deviceId']));

  /** The bot's master key and whether `deviceId` is signed by it, as alice's client finds them. */
  async function seenByAlice(deviceId: string): Promise<{ master: string; signedByOwner: boolean; verified: boolean }> {
    const crypto = alice!.client.getCrypto()!;
    const keys = await alice!.client.downloadKeysForUsers([bot.botUserId]);
    const master = Object.values((keys.master_keys?.[bot.botUserId]?.keys ?? {}) as Record<string, string>)[0];
    assert.ok(master, 'the homeserver holds a master key for the bot');
    return eventually(async () => {
      await crypto.getUserDeviceInfo([bot.botUserId], true);
      const status = await crypto.getDeviceVerificationStatus(bot.botUserId, deviceId);
      return status?.signedByOwner ? { master, signedByOwner: true, verified: status.isVerified() } : undefined;
    }, `alice to see ${deviceId} signed by the bot's identity`, 30_000);
  }

  it('gives the bot an identity that signs its device; a restart keeps it', async () => {
    assert.deepEqual(outcomes(), ['made'], outcomes()[0] === 'exists-elsewhere'
      ? 'the homeserver holds this bot\'s keys from an earlier run (they cannot be replaced without user-interactive auth): run the tier on a fresh Synapse (scripts/e2e-synapse.sh)'
      : 'keys made and uploaded at the first start');
    alice = await EncryptingClient.newUser(ctx.synapse, 'alice');
    // A client tracks the devices of the people it shares a room with.
    const roomId = await alice.createEncryptedRoom('cross-signed bot');
    await alice.inviteAndWaitForJoin(roomId, bot.botUserId);
    const [device] = deviceIds();
    const first = await seenByAlice(device!);
    assert.equal(first.signedByOwner, true);
    assert.equal(first.verified, false, 'signed by its owner, not yet verified by alice (grey shield until she verifies the bot once)');

    await bot.restart();
    assert.deepEqual(outcomes(), ['made', 'kept']);

    // An encrypted echo works with the cross-signed device, across the restart.
    await alice.say(roomId, '!echo signed');
    const answer = await alice.waitForDecrypted(roomId, bot.botUserId, (b) => b === 'signed', 'the bot\'s answer');
    assert.equal(answer.isEncrypted(), true);
    assert.deepEqual(bot.warnings().map((l) => l.msg), [], 'no warning');
  });

  it('a new device made after the crypto store was lost is signed by the same identity', async () => {
    const before = await seenByAlice(deviceIds()[0]!);
    await bot.stopOnly();
    const store = await Store.open(join(dir, 'store'));
    try {
      await store.db.sublevel(Sections.cryptoIdbRecords).clear();
      await store.db.sublevel(Sections.cryptoIdbSchemas).clear();
    } finally {
      await store.close();
    }
    await bot.start();
    assert.deepEqual(outcomes(), ['made', 'kept', 'restored'], 'the sealed keys were imported into the new machine');
    const ids = deviceIds();
    assert.notEqual(ids.at(-1), ids[0], 'a new device');
    const after = await seenByAlice(ids.at(-1)!);
    assert.equal(after.master, before.master, 'the same identity');
    assert.equal(after.signedByOwner, true, 'the new device is signed by it');
    const text = JSON.stringify(bot.logs);
    assert.equal(text.includes(PASSPHRASE), false, 'the passphrase is never logged');
  });
});
