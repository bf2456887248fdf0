import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/index.js';
import type { InboundItem } from '../../src/events/types.js';
import type { HandlerContext } from '../../src/inbox/index.js';
import { BridgeMetrics, Readiness } from '../../src/metrics/index.js';
import { makeEvent } from '../helpers/events.js';
import { total } from './harness.js';

const item = (type: string): InboundItem => ({ kind: 'event', event: makeEvent('!r:localhost', { type, content: {} }) });
const ctx = {} as HandlerContext;

describe('metrics: BridgeMetrics', () => {
  it('keeps each bridge\'s series in its own registry', async () => {
    const a = new BridgeMetrics({ plugin: 'a', processMetrics: false });
    const b = new BridgeMetrics({ plugin: 'b', processMetrics: false });
    a.onResponse({ method: 'GET', endpoint: '/x', status: 200, attempt: 1, durationMs: 3 });
    const textA = await a.registry.metrics();
    const textB = await b.registry.metrics();
    assert.equal(total(textA, 'bridgekit_homeserver_requests_total', { endpoint: '/x' }), 1);
    assert.equal(total(textB, 'bridgekit_homeserver_requests_total', { endpoint: '/x' }), 0);
  });

  it('publishes exact counter sums at every scrape', async () => {
    const m = new BridgeMetrics({ plugin: 'p', processMetrics: false });
    for (let i = 0; i < 1000; i++) m.onResponse({ method: 'PUT', endpoint: '/y', status: 200, attempt: 1, durationMs: 1 });
    assert.equal(total(await m.registry.metrics(), 'bridgekit_homeserver_requests_total', { method: 'PUT', status: '200' }), 1000);
    m.onResponse({ method: 'PUT', endpoint: '/y', status: 'timeout', attempt: 2, durationMs: 30_000 });
    const text = await m.registry.metrics();
    assert.equal(total(text, 'bridgekit_homeserver_requests_total', { method: 'PUT', status: '200' }), 1000, 'not published twice');
    assert.equal(total(text, 'bridgekit_homeserver_requests_total', { method: 'PUT', status: 'timeout' }), 1);
  });

  it('bounds label values: past 100 event types, handlers are counted as "other"', async () => {
    const m = new BridgeMetrics({ plugin: 'p', processMetrics: false });
    const handler = m.timed(async () => {});
    for (let i = 0; i < 150; i++) await handler(item(`org.example.t${i}`), ctx);
    const text = await m.registry.metrics();
    assert.equal(total(text, 'bridgekit_handler_duration_seconds_count', { event_type: 'org.example.t0' }), 1);
    assert.equal(total(text, 'bridgekit_handler_duration_seconds_count', { event_type: 'other' }), 50);
    assert.equal(total(text, 'bridgekit_handler_duration_seconds_count'), 150);
  });

  it('counts a failed attempt and passes the error on', async () => {
    const m = new BridgeMetrics({ plugin: 'p', processMetrics: false });
    const handler = m.timed(async () => { throw new Error('boom'); });
    await assert.rejects(handler(item('m.room.message'), ctx), /boom/);
    assert.equal(total(await m.registry.metrics(), 'bridgekit_handler_failures_total', { plugin: 'p', event_type: 'm.room.message' }), 1);
  });

  it('is off without a metrics section, on at 127.0.0.1:9100 with an empty one', () => {
    const base = {
      homeserver: { url: 'http://127.0.0.1:8008', domain: 'localhost' },
      appservice: { id: 'x', url: null, port: 9000, registration: 'r.yaml', bot: 'bot', prefix: '_x_' },
      store: { path: 'data' },
      bridge: { plugin: 'echo' },
    };
    assert.equal(validateConfig(base, 'test', '/tmp').metrics.enabled, false);
    assert.deepEqual(validateConfig({ ...base, metrics: {} }, 'test', '/tmp').metrics, { enabled: true, bind: '127.0.0.1', port: 9100 });
    assert.equal(validateConfig({ ...base, metrics: { port: 0 } }, 'test', '/tmp').metrics.port, 0);
    assert.throws(() => validateConfig({ ...base, metrics: { port: 70000 } }, 'test', '/tmp'), /metrics\.port: must be a port number/);
  });
});

describe('metrics: Readiness', () => {
  it('reuses a homeserver answer for cacheMs and shares a probe in flight', async () => {
    let probes = 0;
    let up = true;
    const readiness = new Readiness({
      storeOpen: () => true,
      homeserver: async () => {
        probes++;
        await new Promise((r) => setTimeout(r, 10));
        if (!up) throw new Error('connection refused (ECONNREFUSED)');
      },
      cacheMs: 200,
    });
    const answers = await Promise.all([readiness.check(), readiness.check(), readiness.check()]);
    assert.deepEqual(answers, [{ ready: true }, { ready: true }, { ready: true }]);
    assert.equal(probes, 1);
    up = false;
    assert.deepEqual(await readiness.check(), { ready: true }, 'cached');
    await new Promise((r) => setTimeout(r, 220));
    const down = await readiness.check();
    assert.equal(down.ready, false);
    assert.match(!down.ready ? down.reason : '', /ECONNREFUSED/);
  });

  it('is not ready while the store is closed', async () => {
    const readiness = new Readiness({ storeOpen: () => false, homeserver: async () => {} });
    assert.deepEqual(await readiness.check(), { ready: false, reason: 'the store is not open' });
  });
});
