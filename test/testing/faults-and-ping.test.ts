import { strict as assert } from 'node:assert';
import { TestHomeserver, TestClientError, type TestUser } from '../../src/testing/index.js';
import { FakeAppservice, raw, startWithAppservice, testRegistration } from './helpers.js';

async function refusal(promise: Promise<unknown>): Promise<TestClientError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof TestClientError, `expected a refusal, got ${String(error)}`);
  return error;
}

describe('testing/TestHomeserver: injected faults', () => {
  let hs: TestHomeserver;
  let alice: TestUser;

  beforeEach(async () => {
    hs = await TestHomeserver.start();
    alice = await hs.registerUser('alice');
  });
  afterEach(() => hs.stop());

  it('answers 429 M_LIMIT_EXCEEDED with Retry-After and retry_after_ms for the next N matching requests', async () => {
    const roomId = await alice.client.createRoom();
    hs.rateLimitNext({ path: '/send/', count: 2, retryAfterMs: 1500 });
    for (let i = 0; i < 2; i += 1) {
      const error = await refusal(alice.client.sendText(roomId, 'hi'));
      assert.equal(error.status, 429);
      assert.equal(error.errcode, 'M_LIMIT_EXCEEDED');
      assert.equal((error.body as Record<string, unknown>)['retry_after_ms'], 1500);
      assert.equal(error.headers['retry-after'], '2');
    }
    await alice.client.sendText(roomId, 'third time lucky');
    const sends = hs.requests.filter((r) => r.path.includes('/send/')).map((r) => r.status);
    assert.deepEqual(sends, [429, 429, 200]);
  });

  it('can leave out the header or the body field, and match by regex and method', async () => {
    hs.rateLimitNext({ path: /whoami$/, method: 'GET', header: false, retryAfterMs: 10 });
    const bodyOnly = await raw(`${hs.url}/_matrix/client/v3/account/whoami`, 'GET', alice.accessToken);
    assert.equal(bodyOnly.status, 429);
    assert.equal(bodyOnly.headers.get('retry-after'), null);
    assert.equal(bodyOnly.body['retry_after_ms'], 10);
    hs.rateLimitNext({ path: 'whoami', body: false, retryAfterMs: 3000 });
    const headerOnly = await raw(`${hs.url}/_matrix/client/v3/account/whoami`, 'GET', alice.accessToken);
    assert.equal(headerOnly.headers.get('retry-after'), '3');
    assert.equal(headerOnly.body['retry_after_ms'], undefined);
  });

  it('injects 500s and delays', async () => {
    hs.failNext({ path: 'whoami', status: 502, errcode: 'M_UNKNOWN' });
    assert.equal((await refusal(alice.client.whoami())).status, 502);
    hs.delayNext({ path: 'whoami', delayMs: 150 });
    const started = Date.now();
    assert.equal(await alice.client.whoami(), alice.userId);
    assert.ok(Date.now() - started >= 140);
  });

  it('gives a retried send the first answer even after an injected failure', async () => {
    const roomId = await alice.client.createRoom();
    hs.failNext({ path: '/send/' });
    await refusal(alice.client.sendEvent(roomId, 'm.room.message', { body: 'x', msgtype: 'm.text' }, 'retry-me'));
    const first = await alice.client.sendEvent(roomId, 'm.room.message', { body: 'x', msgtype: 'm.text' }, 'retry-me');
    const second = await alice.client.sendEvent(roomId, 'm.room.message', { body: 'x', msgtype: 'm.text' }, 'retry-me');
    assert.equal(first, second);
    assert.equal(hs.events(roomId).filter((e) => e.type === 'm.room.message').length, 1);
  });
});

describe('testing/TestHomeserver: appservice ping', () => {
  const pingPath = '/_matrix/client/v1/appservice/testbridge/ping';

  it('calls the appservice\'s /ping with the transaction_id and answers duration_ms', async () => {
    const { hs, as } = await startWithAppservice();
    try {
      const bot = hs.appserviceClient();
      const answer = await bot.request<{ duration_ms: number }>('POST', pingPath, { transaction_id: 'ping-1' });
      assert.equal(typeof answer.duration_ms, 'number');
      await bot.request('POST', pingPath, {});
      const pings = as.requests.filter((r) => r.path === '/_matrix/app/v1/ping');
      assert.deepEqual(pings.map((p) => p.body), [{ transaction_id: 'ping-1' }, { transaction_id: null }]);
      assert.equal(pings[0]?.headers['authorization'], 'Bearer hs_token_for_tests');

      as.answer = () => ({ status: 500, body: { errcode: 'M_UNKNOWN' } });
      const bad = await refusal(bot.request('POST', pingPath, {}));
      assert.equal(bad.status, 502);
      assert.equal(bad.errcode, 'M_BAD_STATUS');
      assert.equal((bad.body as Record<string, unknown>)['status'], 500);

      const alice = await hs.registerUser('alice');
      assert.equal((await refusal(alice.client.request('POST', pingPath, {}))).errcode, 'M_FORBIDDEN');
      const wrongId = await refusal(bot.request('POST', '/_matrix/client/v1/appservice/other/ping', {}));
      assert.equal(wrongId.errcode, 'M_FORBIDDEN');
    } finally {
      await hs.stop();
      await as.close();
    }
  });

  it('reports timeouts, refused connections and a missing URL with the spec\'s errors', async () => {
    const as = await FakeAppservice.start();
    as.answer = () => 'hang';
    const hs = await TestHomeserver.start({ appservice: testRegistration(as.url), queryTimeoutMs: 100 });
    try {
      const timeout = await refusal(hs.appserviceClient().request('POST', pingPath, {}));
      assert.equal(timeout.status, 504);
      assert.equal(timeout.errcode, 'M_CONNECTION_TIMEOUT');
      await as.close();
      const failed = await refusal(hs.appserviceClient().request('POST', pingPath, {}));
      assert.equal(failed.status, 502);
      assert.equal(failed.errcode, 'M_CONNECTION_FAILED');
    } finally {
      await hs.stop();
    }
    const noUrl = await TestHomeserver.start({ appservice: testRegistration(null) });
    try {
      const error = await refusal(noUrl.appserviceClient().request('POST', pingPath, {}));
      assert.equal(error.status, 400);
      assert.equal(error.errcode, 'M_URL_NOT_SET');
    } finally {
      await noUrl.stop();
    }
  });
});
