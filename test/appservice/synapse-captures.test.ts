import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { synapseDir } from '../helpers/fixtures.js';
import { startEndpoint, type Endpoint } from '../helpers/endpoint.js';
import type { InboundItem } from '../../src/events/types.js';

interface LoggedRequest {
  method: string;
  url: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
  status: number | null;
}

function loadLog(file: string): LoggedRequest[] {
  return readFileSync(resolve(synapseDir, file), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as LoggedRequest);
}

async function replay(endpoint: Endpoint, requests: LoggedRequest[]): Promise<Response[]> {
  const answers: Response[] = [];
  for (const req of requests) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (req.headers['authorization']) headers['authorization'] = req.headers['authorization'];
    answers.push(await fetch(`${endpoint.url}${req.url}`, {
      method: req.method,
      headers,
      body: req.body === undefined || req.method === 'GET' ? undefined : JSON.stringify(req.body),
    }));
  }
  return answers;
}

const eventIds = (items: InboundItem[]) => items.flatMap((i) => (i.kind === 'event' ? [i.event.event_id] : []));

describe('appservice: real Synapse 1.94 traffic replayed through a socket', () => {
  let endpoint: Endpoint;
  const log = loadLog('all-requests-synapse-1.94.0.jsonl');
  beforeEach(async () => { endpoint = await startEndpoint(); });
  afterEach(async () => { await endpoint.close(); });

  it('answers every captured transaction and ping 200, and handles each event exactly once', async () => {
    const answers = await replay(endpoint, log.filter((r) => !r.path.includes('/users/') && !r.path.includes('/rooms/')));
    for (const answer of answers) {
      assert.equal(answer.status, 200, `${answer.url} answered ${answer.status}`);
      assert.deepEqual(await answer.json(), {});
    }
    await endpoint.inbox.drained();
    const expected = new Set<string>();
    for (const req of log) {
      const events = (req.body as { events?: Array<{ event_id: string }> } | undefined)?.events ?? [];
      for (const e of events) expected.add(e.event_id);
    }
    const handled = eventIds(endpoint.handled);
    assert.equal(handled.length, expected.size, 'each distinct event handled once');
    assert.deepEqual(new Set(handled), expected);
  });

  it('keeps the homeserver order: events of one room are handled in the order they arrived', async () => {
    await replay(endpoint, log.filter((r) => r.method === 'PUT'));
    await endpoint.inbox.drained();
    const arrival: string[] = [];
    const seen = new Set<string>();
    for (const req of log) {
      for (const e of (req.body as { events?: Array<{ event_id: string }> } | undefined)?.events ?? []) {
        if (!seen.has(e.event_id)) { seen.add(e.event_id); arrival.push(e.event_id); }
      }
    }
    // A single room in the capture: the handled order must be the arrival order.
    assert.deepEqual(eventIds(endpoint.handled), arrival);
  });

  it('delivers the events of txnIds reused after a homeserver restart (deduplication is by event_id)', async () => {
    await replay(endpoint, log.filter((r) => r.method === 'PUT'));
    await endpoint.inbox.drained();
    const reused = JSON.parse(readFileSync(resolve(synapseDir, 'txn-01-REUSED-after-hs-restart.json'), 'utf8')) as { events: Array<{ event_id: string }> };
    assert.ok(reused.events.length > 0);
    for (const e of reused.events) assert.ok(eventIds(endpoint.handled).includes(e.event_id), `${e.event_id} delivered`);
  });

  it('does not deliver the ephemeral data of a retried transaction twice, but delivers a reused txnId\'s new data', async () => {
    const presence = { type: 'm.presence', sender: '@a:localhost', content: { presence: 'online' } };
    const body = { events: [], 'de.sorunome.msc2409.ephemeral': [presence], ephemeral: [presence] };
    const send = (txn: string, b: unknown) => replay(endpoint, [{ method: 'PUT', url: `/_matrix/app/v1/transactions/${txn}`, path: '', headers: { authorization: `Bearer ${endpoint.registration.hs_token}` }, body: b, status: 200 }]);
    await send('7', body);
    await send('7', body); // a retry
    const changed = { ...presence, content: { presence: 'offline' } };
    await send('7', { events: [], ephemeral: [changed] }); // the same txnId after a restart, new content
    await endpoint.inbox.drained();
    const presences = endpoint.handled.filter((i) => i.kind === 'ephemeral');
    assert.equal(presences.length, 2, 'stable + unstable copies are one item, the retry adds nothing');
    assert.deepEqual(presences.map((p) => p.kind === 'ephemeral' && p.event.content['presence']), ['online', 'offline']);
  });

  it('answers the captured user and alias queries 404 when the bridge declines, URL-decoding the ids', async () => {
    const asked: string[] = [];
    await endpoint.close();
    endpoint = await startEndpoint({
      queryHandlers: {
        queryUser: async (userId) => { asked.push(userId); return false; },
        queryAlias: async (alias) => { asked.push(alias); return false; },
      },
    });
    const answers = await replay(endpoint, log.filter((r) => r.path.includes('/users/') || r.path.includes('/rooms/')));
    for (const answer of answers) {
      assert.equal(answer.status, 404);
      assert.equal(((await answer.json()) as { errcode: string }).errcode, 'M_NOT_FOUND');
    }
    assert.deepEqual([...new Set(asked)].sort(), ['#test_foo:localhost', '@test_zed:localhost']);
  });

  it('speaks the Synapse 1.67 legacy dialect: unprefixed paths, token in the query string', async () => {
    const legacy = loadLog('legacy-synapse-1.67.0/all-requests-synapse-1.67.0.jsonl');
    assert.ok(legacy.every((r) => !r.path.startsWith('/_matrix')), 'the capture really is unprefixed');
    const answers = await replay(endpoint, legacy);
    for (const answer of answers) assert.equal(answer.status, 200);
    await endpoint.inbox.drained();
    const expected = legacy.flatMap((r) => (r.body as { events?: Array<{ event_id: string }> }).events ?? []).map((e) => e.event_id);
    assert.deepEqual(eventIds(endpoint.handled), [...new Set(expected)]);
  });
});
