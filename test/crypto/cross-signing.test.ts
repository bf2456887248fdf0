import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HomeserverClient } from '../../src/homeserver/client.js';
import { CryptoService, cryptoSections } from '../../src/crypto/index.js';
import { SealBroken, seal, unseal } from '../../src/crypto/sealed.js';
import { silentLogger } from '../../src/log/logger.js';
import { Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';

const PASSPHRASE = 'a-passphrase-of-at-least-32-characters!';

describe('crypto: the bot\'s cross-signing keys', () => {
  it('are sealed: the passphrase opens them, another does not, and the sealed text holds no key', async () => {
    const keys = { master: 'bWFzdGVyLXNlZWQ', selfSigning: 'c2VsZi1zZWVk' };
    const sealed = await seal(keys, PASSPHRASE);
    assert.equal(JSON.stringify(sealed).includes(keys.master), false);
    assert.deepEqual(await unseal(sealed, PASSPHRASE), keys);
    await assert.rejects(unseal(sealed, `${PASSPHRASE}?`), SealBroken);
    await assert.rejects(unseal({ ...sealed, data: Buffer.from('changed').toString('base64') }, PASSPHRASE), SealBroken);
  });

  it('a homeserver that wants user-interactive auth: said as an error naming the setting, the bridge starts, the keys are kept for the next start', async () => {
    const dir = await tempDir();
    const store = await Store.open(dir.path);
    const paths: string[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = (req.url ?? '').split('?')[0]!;
        paths.push(path);
        res.setHeader('content-type', 'application/json');
        if (path === '/_matrix/client/v3/keys/device_signing/upload') {
          // Synapse 1.94 without msc3967_enabled, for a user it can ask for a password.
          res.statusCode = 401;
          res.end(JSON.stringify({ errcode: 'M_FORBIDDEN', error: 'auth needed', flows: [{ stages: ['m.login.password'] }], session: 's', params: {} }));
          return;
        }
        res.end(path === '/_matrix/client/v3/keys/upload' ? '{"one_time_key_counts":{"signed_curve25519":50}}' : '{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const errors: Array<{ obj: unknown; msg: string }> = [];
    const infos: unknown[] = [];
    const logger = silentLogger();
    logger.error = ((obj: unknown, msg?: string) => { errors.push({ obj, msg: msg ?? '' }); }) as typeof logger.error;
    logger.info = ((obj: unknown) => { infos.push(obj); }) as typeof logger.info;
    let service: CryptoService | undefined;
    try {
      const userId = '@bot:localhost';
      const client = new HomeserverClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asToken: 't', botUserId: userId, retry: { maxAttempts: 1 } });
      service = await CryptoService.start({ store, client, userId, logger, keyWaitMs: 10, members: async () => [], crossSigningPassphrase: PASSPHRASE });
      assert.ok(paths.includes('/_matrix/client/v3/keys/device_signing/upload'), 'the upload was tried');
      assert.equal(paths.includes('/_matrix/client/v3/keys/signatures/upload'), false, 'no signatures without the keys they name');
      assert.equal(errors.length, 1);
      assert.match(errors[0]!.msg, /msc3967_enabled/);
      assert.equal(JSON.stringify(errors).includes(PASSPHRASE), false);
      assert.ok(infos.some((o) => (o as Record<string, unknown>)['crossSigning'] === 'upload-refused'));
      const record = await cryptoSections(store).crossSigning.get(userId);
      assert.equal(record?.uploaded, false, 'kept, to be uploaded at the next start');
      assert.ok(record?.masterKey);
    } finally {
      await service?.close();
      server.close();
      await store.close();
      await dir.cleanup();
    }
  });
});
