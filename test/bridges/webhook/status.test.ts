import assert from 'node:assert/strict';
import { createWebhookPlugin } from '../../../bridges/webhook/index.js';
import { waitUntil, type TestUser } from '../../../src/testing/index.js';
import { BotHarness, bodyOf } from '../../bot/harness.js';
import { call, SECRET } from '../../provisioning/helpers.js';
import { Receiver } from './helpers.js';

describe('webhook bridge: each outbound target\'s state in /status and /metrics', function () {
  this.timeout(30_000);
  let h: BotHarness;
  let alice: TestUser;
  let receiver: Receiver;

  before(async () => {
    h = await BotHarness.start(createWebhookPlugin(), {
      config: {
        provisioning: { enabled: true, sharedSecret: SECRET },
        permissions: { localhost: 'user', '@admin:localhost': 'admin' },
        metrics: { enabled: true, port: 0 },
      },
      pluginConfig: { outbound: { allowPrivateTargets: true, maxAttempts: 3, retryBaseMs: 500, retryMaxMs: 1_000, pollMs: 50, timeoutMs: 2_000 } },
    });
    alice = await h.user('alice');
    receiver = await Receiver.start();
  });
  after(async () => {
    await receiver.close();
    await h.stop();
  });

  /** The connections `/status` shows an administrator. */
  async function connections(): Promise<Array<Record<string, unknown>>> {
    const answer = await call(h.bridge.url, 'GET', '/status', { token: SECRET, userId: '@admin:localhost' });
    assert.equal(answer.status, 200);
    return answer.body['connections'] as Array<Record<string, unknown>>;
  }
  const entryFor = async (roomId: string) => (await connections()).find((c) => c['id'] === `outbound:${roomId}`);
  const metrics = async () => (await fetch(`${h.bridge.metricsUrl!}/metrics`)).text();

  async function outRoom(): Promise<string> {
    const roomId = await h.roomWithBot(alice);
    assert.match(bodyOf(await h.ask(alice, roomId, `!webhook out ${receiver.url}`)), /^Outbound webhook set/);
    return roomId;
  }

  it('shows connected after a 200, bad_credentials after a 401 (no URL path or query in it), and nothing once the target is off', async () => {
    const roomId = await outRoom();
    assert.equal(await entryFor(roomId), undefined, 'nothing before the first delivery');

    await h.send(alice, roomId, 'first');
    await waitUntil(async () => (await entryFor(roomId))?.['state'] === 'connected', 5_000, 'the target to be connected');
    assert.equal(typeof (await entryFor(roomId))?.['since'], 'number');
    const first = await metrics();
    assert.match(first, /^bridgekit_connections\{state="connected"\} 1$/m);
    assert.match(first, /^bridgekit_connections\{state="bad_credentials"\} 0$/m);

    receiver.answer(401);
    await h.send(alice, roomId, 'second');
    await waitUntil(async () => (await entryFor(roomId))?.['state'] === 'bad_credentials', 5_000, 'the target to be bad_credentials');
    assert.equal((await entryFor(roomId))?.['message'], 'the target answered HTTP 401');
    assert.doesNotMatch(JSON.stringify(await connections()), /t0ps3cret|incoming/);
    const after401 = await metrics();
    assert.match(after401, /^bridgekit_connections\{state="bad_credentials"\} 1$/m);
    assert.match(after401, /^bridgekit_connections\{state="connected"\} 0$/m);

    // Bridge-wide: a user who is not an administrator sees none.
    const plain = await call(h.bridge.url, 'GET', '/status', { token: SECRET, userId: alice.userId });
    assert.equal(plain.status, 200);
    assert.deepEqual(plain.body['connections'], []);

    assert.match(bodyOf(await h.ask(alice, roomId, '!webhook out off')), /^Outbound webhook off/);
    assert.equal(await entryFor(roomId), undefined);
    assert.match(await metrics(), /^bridgekit_connections\{state="bad_credentials"\} 0$/m);
  });

  // Retries wait at least 400 ms (500 ± 20%): long enough to see the state between them.
  it('shows transient_disconnect with the reason while a delivery is retried, then connected', async () => {
    const roomId = await outRoom();
    receiver.answer(503, 503);
    await h.send(alice, roomId, 'flaky');
    await waitUntil(async () => (await entryFor(roomId))?.['state'] === 'transient_disconnect', 5_000, 'the target to be retrying');
    assert.equal((await entryFor(roomId))?.['message'], 'HTTP 503; retrying');
    await waitUntil(async () => (await entryFor(roomId))?.['state'] === 'connected', 5_000, 'the target to be connected again');
  });
});
