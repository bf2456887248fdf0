import assert from 'node:assert/strict';
import { waitUntil } from '../../src/testing/index.js';
import { makeEvent } from '../helpers/events.js';
import { OpsHarness, total } from './harness.js';

const ROOM = '!metrics:localhost';

/**
 * A real bridge with metrics on, a TestHomeserver, real sockets: transactions are PUT
 * to the bridge's endpoint by hand (exact counts), and /metrics is scraped over HTTP.
 */
describe('metrics: a running bridge', function () {
  let h: OpsHarness;
  let metricsUrl: string;

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${metricsUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    return res.text();
  };

  before(async () => {
    h = await OpsHarness.start({ metrics: true, readyCacheMs: 50 });
    const bridge = await h.startBridge();
    assert.ok(bridge.metricsUrl, 'the metrics URL is on RunningBridge');
    metricsUrl = bridge.metricsUrl;
    assert.notEqual(metricsUrl, bridge.url, 'its own listener');
  });

  after(async () => {
    await h.stop();
  });

  it('answers /health and /ready', async () => {
    const health = await fetch(`${metricsUrl}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'up' });
    const ready = await fetch(`${metricsUrl}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
    assert.equal((await fetch(`${metricsUrl}/nope`)).status, 404);
  });

  it('counts transactions, items by kind, and the duplicates of a retried transaction', async () => {
    const before = await scrape();
    const body = {
      events: [makeEvent(ROOM, { type: 'org.example.ok', content: {} }), makeEvent(ROOM, { type: 'org.example.ok', content: {} }), makeEvent(ROOM, { type: 'org.example.ok', content: {} })],
      ephemeral: [{ type: 'm.typing', room_id: ROOM, content: { user_ids: [] } }],
    };
    assert.equal(await h.push('metrics-1', body), 200);
    assert.equal(await h.push('metrics-1', body), 200, 'the homeserver retries the same txnId');
    await h.bridge!.inbox.drained();
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);
    assert.equal(delta('bridgekit_transactions_received_total'), 2);
    assert.equal(delta('bridgekit_events_received_total', { kind: 'event' }), 6);
    assert.equal(delta('bridgekit_events_received_total', { kind: 'ephemeral' }), 2);
    assert.equal(delta('bridgekit_events_received_total', { kind: 'to_device' }), 0);
    assert.equal(delta('bridgekit_duplicates_dropped_total'), 4, 'every item of the retry was seen before');
    // Handled once each: 3 events, 1 typing notice.
    assert.equal(delta('bridgekit_handler_duration_seconds_count', { plugin: 'opstest', event_type: 'org.example.ok' }), 3);
    assert.equal(delta('bridgekit_handler_duration_seconds_count', { plugin: 'opstest', event_type: 'm.typing' }), 1);
    assert.ok(total(after, 'bridgekit_handler_duration_seconds_bucket', { event_type: 'org.example.ok', le: '+Inf' }) >= 3);
    assert.ok(total(after, 'bridgekit_handler_duration_seconds_sum', { event_type: 'org.example.ok' }) > 0);
  });

  it('counts handler failures and dead letters', async () => {
    const before = await scrape();
    assert.equal(await h.push('metrics-fail', { events: [makeEvent(ROOM, { type: 'org.example.fail', content: { fail: true } })] }), 200);
    await h.bridge!.inbox.drained();
    const after = await scrape();
    const labels = { plugin: 'opstest', event_type: 'org.example.fail' };
    // maxAttempts: 2 in the harness config.
    assert.equal(total(after, 'bridgekit_handler_failures_total', labels) - total(before, 'bridgekit_handler_failures_total', labels), 2);
    assert.equal(total(after, 'bridgekit_dead_letters_total') - total(before, 'bridgekit_dead_letters_total'), 1);
    assert.equal(total(after, 'bridgekit_handler_failures_total', { event_type: 'org.example.ok' }), 0);
  });

  it('shows the inbox backlog while handlers are busy', async () => {
    const events = Array.from({ length: 5 }, () => makeEvent(ROOM, { type: 'org.example.block', content: { block: true } }));
    assert.equal(await h.push('metrics-block', { events }), 200);
    assert.equal(total(await scrape(), 'bridgekit_inbox_backlog'), 5);
    h.gate.release();
    await h.bridge!.inbox.drained();
    assert.equal(total(await scrape(), 'bridgekit_inbox_backlog'), 0);
    assert.ok(total(await scrape(), 'bridgekit_mirror_rooms') >= 1, 'the room is in the mirror');
    assert.ok(total(await scrape(), 'bridgekit_mirror_cached_rooms') >= 1, 'and its summary is in the bounded cache');
  });

  it('counts requests to the homeserver by endpoint and status, rate-limit waits and presence', async () => {
    const before = await scrape();
    const whoami = { method: 'GET', endpoint: '/_matrix/client/v3/account/whoami' };
    await h.bridge!.api.account.whoami();
    await h.bridge!.api.account.whoami();
    h.hs.failNext({ path: '/account/whoami', status: 403, errcode: 'M_FORBIDDEN' });
    await assert.rejects(h.bridge!.api.account.whoami());
    h.hs.rateLimitNext({ path: '/account/whoami', retryAfterMs: 30 });
    await h.bridge!.api.account.whoami();
    await h.bridge!.puppets.bot.setPresence('online');
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => total(after, name, labels) - total(before, name, labels);
    assert.equal(delta('bridgekit_homeserver_requests_total', { ...whoami, status: '200' }), 3);
    assert.equal(delta('bridgekit_homeserver_requests_total', { ...whoami, status: '403' }), 1);
    assert.equal(delta('bridgekit_homeserver_requests_total', { ...whoami, status: '429' }), 1);
    assert.equal(delta('bridgekit_homeserver_request_duration_seconds_count', whoami), 5);
    assert.equal(delta('bridgekit_homeserver_rate_limit_waits_total', { endpoint: whoami.endpoint }), 1);
    assert.ok(delta('bridgekit_homeserver_rate_limit_wait_seconds_total', {}) >= 0.03);
    assert.equal(delta('bridgekit_presence_updates_sent_total', {}), 1);
    // The mirror fetched the unknown room's state at its first event (the bot is not in it).
    assert.ok(total(after, 'bridgekit_homeserver_requests_total', { endpoint: '/_matrix/client/v3/rooms/{roomId}/state' }) >= 1);
  });

  it('includes process metrics, in its own registry', async () => {
    const text = await scrape();
    assert.ok(total(text, 'process_cpu_user_seconds_total') > 0);
  });

  it('answers /ready 503 with a reason when the homeserver is down', async () => {
    await h.hs.stop();
    const res = await waitUntil(async () => {
      const r = await fetch(`${metricsUrl}/ready`);
      return r.status === 503 ? r : undefined;
    }, 5_000, '/ready to fail');
    const body = await res.json() as { status: string; reason: string };
    assert.equal(body.status, 'not ready');
    assert.match(body.reason, /homeserver did not answer \/versions: connection refused/);
    assert.equal((await fetch(`${metricsUrl}/health`)).status, 200, 'the process is still up');
  });
});
