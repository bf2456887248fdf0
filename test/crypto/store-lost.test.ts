import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HomeserverClient } from '../../src/homeserver/client.js';
import { CryptoService, CryptoStoreLost, cryptoSections } from '../../src/crypto/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';

describe('crypto: a lost crypto store is said, never replaced by a new identity', () => {
  it('refuses to start when the main store remembers identity keys and the crypto store is empty', async () => {
    const dir = await tempDir();
    const store = await Store.open(dir.path);
    try {
      const userId = '@bot:localhost';
      await cryptoSections(store).devices.put(userId, {
        userId, deviceId: 'BKLOST', curve25519: 'remembered-curve', ed25519: 'remembered-ed', createdAt: 1,
      });
      // Port 9 on loopback: nothing may be sent before the refusal (a request would fail differently).
      const client = new HomeserverClient({ baseUrl: 'http://127.0.0.1:9', asToken: 't', botUserId: userId, retry: { maxAttempts: 1 } });
      await assert.rejects(
        CryptoService.start({ store, client, userId, logger: silentLogger(), keyWaitMs: 10, members: async () => [] }),
        (err: unknown) => err instanceof CryptoStoreLost && /BKLOST/.test(err.message) && /remembered-curve/.test(err.message) && /nothing was found to restore/.test(err.message),
      );
      const record = await cryptoSections(store).devices.get(userId);
      assert.equal(record?.curve25519, 'remembered-curve', 'the remembered identity is left as it was');
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });

  it('with newDeviceIfStoreLost, logs an error and makes a new device by appservice login', async () => {
    const dir = await tempDir();
    const store = await Store.open(dir.path);
    const requests: Array<{ url: string; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        requests.push({ url: req.url ?? '', body });
        res.setHeader('content-type', 'application/json');
        res.end(req.url?.startsWith('/_matrix/client/v3/keys/upload') ? '{"one_time_key_counts":{"signed_curve25519":50}}' : '{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const errors: string[] = [];
    const logger = silentLogger();
    logger.error = ((obj: unknown, msg?: string) => { errors.push(msg ?? String(obj)); }) as typeof logger.error;
    let service: CryptoService | undefined;
    try {
      const userId = '@bot:localhost';
      await cryptoSections(store).devices.put(userId, { userId, deviceId: 'BKLOST', curve25519: 'c', ed25519: 'e', createdAt: 1 });
      const client = new HomeserverClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asToken: 't', botUserId: userId });
      service = await CryptoService.start({ store, client, userId, logger, keyWaitMs: 10, members: async () => [], newDeviceIfStoreLost: true });
      assert.notEqual(service.device.deviceId, 'BKLOST');
      assert.match(errors.join('\n'), /NEW device/);
      const login = requests.find((r) => r.url.startsWith('/_matrix/client/v3/login'));
      assert.equal(JSON.parse(login!.body)['type'], 'm.login.application_service');
      assert.equal(JSON.parse(login!.body)['device_id'], service.device.deviceId);
      const upload = requests.find((r) => r.url.startsWith('/_matrix/client/v3/keys/upload'));
      assert.match(upload!.url, new RegExp(`org.matrix.msc3202.device_id=${service.device.deviceId}`), 'keys uploaded as the new device');
      assert.equal((await cryptoSections(store).devices.get(userId))?.deviceId, service.device.deviceId);
    } finally {
      await service?.close();
      server.close();
      await store.close();
      await dir.cleanup();
    }
  });
});
