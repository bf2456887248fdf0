import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/index.js';
import { cryptoSections } from '../../src/crypto/index.js';
import type { InboundItem } from '../../src/events/types.js';
import { HomeserverApi } from '../../src/homeserver/index.js';
import type { HandlerContext, ItemHandler } from '../../src/inbox/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { Mirror } from '../../src/mirror/index.js';
import { Namespaces } from '../../src/registration/index.js';
import { BridgeEncryption, CryptoDeviceNotHeld } from '../../src/runtime/encryption.js';
import { Sections, Store } from '../../src/store/index.js';
import type { LateEvent } from '../../src/crypto/late-events.js';
import { fixtureRegistration } from '../helpers/endpoint.js';
import { keysHomeserver } from '../helpers/keys-homeserver.js';
import { OlmPerson, type UploadedKeys } from '../helpers/olm-person.js';
import { waitFor } from '../helpers/net.js';
import { tempDir } from '../helpers/temp.js';

function context(): HandlerContext {
  const work = { put: () => undefined, del: () => undefined } as unknown as HandlerContext['work'];
  return { entry: { seq: 0, txnId: 't', receivedAt: 0, item: { kind: 'device_changes', changes: {} } } as unknown as HandlerContext['entry'], attempt: 1, lastAttempt: false, firstDelivery: true, work, logger: silentLogger() };
}

interface Harness {
  readonly encryption: BridgeEncryption;
  readonly handler: ItemHandler;
  readonly hs: Awaited<ReturnType<typeof keysHomeserver>>;
  readonly store: Store;
  readonly botUserId: string;
  close(): Promise<void>;
}

/** A bridge's encryption on a Level store and the loopback key endpoints, its machines not open. */
async function harness(): Promise<Harness> {
  const dir = await tempDir();
  const hs = await keysHomeserver();
  const store = await Store.open(dir.path);
  const registration = fixtureRegistration();
  const botUserId = `@${registration.sender_localpart}:localhost`;
  const api = HomeserverApi.fromRegistration(registration, { baseUrl: hs.url, domain: 'localhost', store, logger: silentLogger() });
  const mirror = new Mirror({ store, logger: silentLogger() });
  const config = validateConfig({
    homeserver: { url: hs.url, domain: 'localhost' },
    appservice: { id: 'test', url: null, bind: '127.0.0.1', port: 0, registration: 'registration.yaml', bot: 'bot', prefix: '_test_' },
    store: { path: dir.path }, bridge: { plugin: 'echo' }, encryption: { enabled: true, keyWaitSeconds: 1, crossSigning: { passphrase: 'a test passphrase of at least 32 characters' } }, logging: { level: 'silent' },
  }, 'test', '/tmp');
  const encryption = new BridgeEncryption({
    config: config.encryption, store, api, mirror, namespaces: new Namespaces(registration, 'localhost'), logger: silentLogger(), notify: async () => undefined,
  });
  const handler: ItemHandler = encryption.handler(async () => undefined, async () => undefined);
  return {
    encryption, handler, hs, store, botUserId,
    async close() {
      await encryption.close();
      await mirror.close();
      await store.close();
      await hs.close();
      await dir.cleanup();
    },
  };
}

describe('crypto: the machines open late, close and open again in one process (cluster mode\'s leader changes)', function () {
  this.timeout(30_000);
  let h: Harness | undefined;
  afterEach(async () => { await h?.close(); h = undefined; });

  it('refuses crypto work while closed, opens from the store with the same device, begins once listening (cross-signing too), and again after a reopen', async () => {
    h = await harness();
    const { encryption, handler, hs, store, botUserId } = h;
    const keysUsedUp = (deviceId: string): InboundItem => ({ kind: 'device_changes', changes: { oneTimeKeyCounts: { [botUserId]: { [deviceId]: { signed_curve25519: 0 } } } } });

    // A standby: nothing open, crypto items refused (retried, never dropped), nothing sent when the bridge listens.
    assert.equal(encryption.held, false);
    await assert.rejects(handler(keysUsedUp('X'), context()), CryptoDeviceNotHeld);
    await encryption.begin();
    assert.equal(hs.requests.length, 0, 'nothing sent while the device is not held');

    // It takes the lead: opened from the store (a new device the first time), its first requests made at once.
    await encryption.open();
    assert.equal(encryption.held, true);
    const deviceId = encryption.deviceId!;
    await waitFor(() => hs.requests.some((r) => r.path === '/_matrix/client/v3/keys/upload'), 10_000, 'the device\'s keys uploaded');
    assert.equal(hs.requests[0]?.path, '/_matrix/client/v3/login', 'the device made first');
    await encryption.begin(); // the same first requests, waited for to their end
    const uploads = () => hs.requests.filter((r) => r.path === '/_matrix/client/v3/keys/upload').length;
    const before = uploads();
    await handler(keysUsedUp(deviceId), context());
    assert.ok(uploads() > before, 'new one-time keys made and uploaded');

    const afterFirst = uploads();
    // It stops leading: closed, refused again; then leads again: the same device from the store, no new login.
    await encryption.close();
    assert.equal(encryption.held, false);
    await assert.rejects(handler(keysUsedUp(deviceId), context()), CryptoDeviceNotHeld);
    await encryption.open();
    assert.equal(encryption.deviceId, deviceId, 'the same device');
    const record = await cryptoSections(store).devices.get(botUserId);
    assert.equal(record?.deviceId, deviceId);
    await handler(keysUsedUp(deviceId), context());
    assert.equal(hs.requests.filter((r) => r.path === '/_matrix/client/v3/login').length, 1, 'the device was made once');
    await encryption.begin();
    assert.equal(hs.requests.filter((r) => r.path === '/_matrix/client/v3/keys/device_signing/upload').length, 1, 'cross-signed once: the reopened machine kept its identity');
    assert.ok(uploads() > afterFirst, 'the reopened machine makes and uploads keys too');
  });

  it('brings back kept events whose keys came when the machines open, not before', async () => {
    h = await harness();
    const { encryption, handler, hs, store, botUserId } = h;
    await encryption.begin();
    await encryption.open();
    await encryption.begin();
    const upload = hs.requests.find((r) => r.path === '/_matrix/client/v3/keys/upload')!.body as UploadedKeys;
    const person = await OlmPerson.create('@alice:localhost', 'ALICEDEV');
    try {
      const roomId = '!late:localhost';
      const keys = await person.shareRoomKey(roomId, { userId: botUserId, deviceId: encryption.deviceId!, keys: upload });
      // Passed on as undecryptable earlier (kept), its key processed since.
      const event = await person.say(roomId, 'kept for its key');
      await store.section<LateEvent>(Sections.cryptoLateEvents).put(event.event_id, { event, passedOnAt: Date.now() });
      for (const message of keys) await handler({ kind: 'to_device', message }, context());
      await encryption.close();

      const injected: string[] = [];
      await encryption.startLateDelivery(async (item) => { if (item.kind === 'event') injected.push(item.event.event_id); });
      assert.deepEqual(injected, [], 'nothing looked for while the machines are closed');
      await encryption.open();
      await waitFor(() => injected.length > 0, 10_000, 'the kept event brought back');
      assert.deepEqual(injected, [event.event_id]);
    } finally {
      person.close();
    }
  });
});
