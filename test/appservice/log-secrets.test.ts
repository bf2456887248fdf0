import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { loggablePath } from '../../src/appservice/failure.js';
import { createLogger } from '../../src/log/logger.js';
import { createWebhookPlugin } from '../../bridges/webhook/index.js';
import { BotHarness } from '../bot/harness.js';
import { createHook, post } from '../bridges/webhook/helpers.js';

/** Sends a request by hand: the head, part of the body, then closes the socket. */
function sendAndClose(url: string, head: string, partialBody: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`${head}\r\n\r\n${partialBody}`, () => setTimeout(() => socket.destroy(), 50));
    });
    socket.on('close', () => resolve()).on('error', reject);
  });
}

describe('appservice: no secret of a URL reaches the logs', function () {
  this.timeout(30_000);

  describe('loggablePath', () => {
    it('keeps the appservice API\'s paths, never a query value, and shortens any other path', () => {
      assert.equal(loggablePath('/_matrix/app/v1/transactions/12?access_token=s3cret'), '/_matrix/app/v1/transactions/12?access_token=[redacted]');
      assert.equal(loggablePath('/users/@a:b?access_token=s3cret&x=1'), '/users/@a:b?access_token=[redacted]&x=[redacted]');
      assert.equal(loggablePath('/bridge/webhook/hooks/s3cret'), '/bridge/…');
      assert.equal(loggablePath('/nowhere/s3cret'), '/nowhere/…');
      assert.equal(loggablePath('/_bridgekit/media/hs/id/f.png?sig=s3cret'), '/_bridgekit/…?sig=[redacted]');
      assert.equal(loggablePath('/bridge/webhook/hooks/s3cret', '/bridge/webhook/hooks/:secret'), '/bridge/webhook/hooks/:secret');
      assert.equal(loggablePath('/x#frag'), '/x');
      assert.equal(loggablePath(undefined), '');
    });
  });

  describe('a whole bridge with webhooks, logging at trace', () => {
    let h: BotHarness;
    const logs: string[] = [];

    before(async () => {
      const logger = createLogger({ level: 'trace' }, { write: (line: string) => void logs.push(line) });
      h = await BotHarness.start(createWebhookPlugin(), { logger });
    });
    after(async () => h.stop());

    it('a hook POST whose socket closes early, odd paths under the hook, wrong tokens in queries: no secret logged', async () => {
      const alice = await h.user('alice');
      const roomId = await h.roomWithBot(alice);
      const { url, secret } = await createHook(h, alice, roomId, 'leaky');
      const path = new URL(url).pathname;
      const before = logs.length;

      // The reproduction of the issue: Content-Length 1000, 10 bytes, then the socket closes.
      await sendAndClose(url, [
        `POST ${path} HTTP/1.1`, `Host: 127.0.0.1`, 'Content-Type: application/json', 'Content-Length: 1000',
      ].join('\r\n'), '{"text":"x');
      // Chunked, closed before the last chunk.
      await sendAndClose(url, [
        `POST ${path} HTTP/1.1`, `Host: 127.0.0.1`, 'Content-Type: application/json', 'Transfer-Encoding: chunked',
      ].join('\r\n'), 'a\r\n{"text":"x\r\n');
      await post(`${url}/more/${secret}`, { text: 'x' });
      await post(`${url}?token=${secret}`, '{bad json');
      const wrongToken = 'wrong-token-0123456789abcdef';
      const legacy = await fetch(`${h.bridge.url}/transactions/1?access_token=${wrongToken}`, { method: 'PUT', body: '{"events":[]}' });
      assert.equal(legacy.status, 403);
      const unknown = await fetch(`${h.bridge.url}/nowhere/${secret}?sig=${secret}`);
      assert.equal(unknown.status, 404);
      await h.settle();

      const lines = logs.slice(before);
      assert.ok(lines.some((line) => line.includes('/transactions/1?access_token=[redacted]')), 'the refused token was logged, without its value');
      assert.ok(!lines.some((line) => line.includes('"level":50')), 'a client that goes away is not an error of the bridge');
      const secrets = [secret, wrongToken, h.registration.hs_token, h.registration.as_token];
      assert.deepEqual(logs.filter((line) => secrets.some((s) => line.includes(s))), []);
    });
  });
});
