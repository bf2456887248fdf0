import assert from 'node:assert/strict';
import { parseInboundBody } from '../../bridges/webhook/inbound-body.js';
import type { InboundItem } from '../../src/events/types.js';
import { waitUntil } from '../../src/testing/index.js';
import { deepObjectText, withDeep } from '../helpers/deep-json.js';
import { HS_TOKEN, startEndpoint, type Endpoint } from '../helpers/endpoint.js';
import { makeEvent } from '../helpers/events.js';

const DEPTH = 10_000;
const DEEP = deepObjectText(DEPTH);
const ROOM = '!deep:localhost';

/** PUTs a body given as JSON text (JSON.stringify cannot write what these tests send). */
async function putRaw(url: string, txnId: string, text: string): Promise<number> {
  const res = await fetch(`${url}/_matrix/app/v1/transactions/${txnId}`, {
    method: 'PUT', headers: { authorization: `Bearer ${HS_TOKEN}`, 'content-type': 'application/json' }, body: text,
  });
  await res.text();
  return res.status;
}

/** How deep `value` nests objects under key `a` (counted without recursion). */
function depthOf(value: unknown): number {
  let depth = 0;
  for (let v = value; typeof v === 'object' && v !== null; v = (v as { a?: unknown }).a) depth++;
  return depth;
}

const contentOf = (item: InboundItem) =>
  item.kind === 'to_device' ? item.message.content : item.kind === 'device_changes' ? {} : item.event.content;

/**
 * JSON nested 10,000 levels deep in every place a homeserver can put it: answered 200 and
 * stored (a 4xx or 500 would make Synapse retry the transaction forever), and handled.
 */
describe('appservice: deeply nested JSON from the homeserver is stored, never a 500', function () {
  this.timeout(30_000);
  let endpoint: Endpoint | undefined;
  afterEach(async () => { await endpoint?.close(); endpoint = undefined; });

  it('an EDU (under both the stable and the unstable key), a to-device message and a room event', async () => {
    endpoint = await startEndpoint();
    const typing = { type: 'org.example.deep', room_id: ROOM, content: { nest: '<DEEP>' } };
    const toDevice = { type: 'org.example.deep', sender: '@a:localhost', to_user_id: '@b:localhost', to_device_id: 'D', content: { nest: '<DEEP>' } };
    const event = makeEvent(ROOM, { type: 'org.example.deep', content: { nest: '<DEEP>' }, unsigned: { nest: '<DEEP>' } });
    const body = withDeep({ events: [event], ephemeral: [typing], 'de.sorunome.msc2409.ephemeral': [typing], to_device: [toDevice] }, DEEP);
    assert.equal(await putRaw(endpoint.url, 'deep-1', body), 200);
    await endpoint.inbox.drained();
    assert.deepEqual(endpoint.handled.map((i) => i.kind).sort(), ['ephemeral', 'event', 'to_device'], 'each once: the EDU under both keys is one item');
    for (const item of endpoint.handled) assert.equal(depthOf(contentOf(item)['nest']), DEPTH);
    // A retry of the same transaction is a duplicate, found by the same fingerprint.
    assert.equal(await putRaw(endpoint.url, 'deep-1', body), 200);
    assert.equal(endpoint.inbox.backlog, 0);
    assert.equal(endpoint.handled.length, 3);
  });

  it('survives a restart: the journal record is read back at any depth', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    endpoint = await startEndpoint({ handler: () => gate });
    const typing = { type: 'org.example.deep', room_id: ROOM, content: { nest: '<DEEP>' } };
    assert.equal(await putRaw(endpoint.url, 'deep-2', withDeep({ events: [], ephemeral: [typing] }, DEEP)), 200);
    const storePath = endpoint.storePath;
    await endpoint.close(false);
    release();
    endpoint = await startEndpoint({ storePath });
    await endpoint.inbox.drained();
    assert.equal(endpoint.handled.length, 1);
    assert.equal(depthOf(contentOf(endpoint.handled[0]!)['nest']), DEPTH);
  });

  it('a handler that overflows the stack on it: a dead letter at once (no retries), stored, and replayable', async () => {
    let attempts = 0;
    // A plugin walking the content by recursion, as many do.
    const walk = (v: unknown): number => (typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(walk)) : 0);
    endpoint = await startEndpoint({
      inbox: { maxAttempts: 5, retryBaseMs: 1_000 },
      handler: async (item) => {
        if (item.kind !== 'event') return;
        attempts++;
        walk(item.event.content);
      },
    });
    const event = makeEvent(ROOM, { type: 'org.example.deep', content: { nest: '<DEEP>' } });
    assert.equal(await putRaw(endpoint.url, 'deep-3', withDeep({ events: [event] }, DEEP)), 200);
    await endpoint.inbox.drained();
    assert.equal(attempts, 1, 'not retried: the same input overflows the same way');
    const letters = await endpoint.inbox.deadLetters.list();
    assert.equal(letters.length, 1);
    assert.match(letters[0]!.error, /Maximum call stack size exceeded/);
    assert.equal(depthOf(contentOf(letters[0]!.item)['nest']), DEPTH, 'stored whole');
    assert.equal(await endpoint.inbox.replayDeadLetters(), 1);
    await waitUntil(() => attempts === 2 || undefined, 5_000, 'the replayed item to be handled again');
    await endpoint.inbox.drained();
  });

  it('a webhook body nested 10,000 levels is a 400-style refusal naming the field, not a crash', () => {
    const refused = parseInboundBody(JSON.parse(`{"text":${DEEP}}`));
    assert.deepEqual(refused, { ok: false, error: "'text' must be a string" });
    const extra = parseInboundBody(JSON.parse(`{"text":"hi","extra":${DEEP}}`));
    assert.ok(extra.ok, 'unknown fields, however deep, are ignored');
  });

});
