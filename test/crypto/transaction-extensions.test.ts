import assert from 'node:assert/strict';
import { parseTransaction, ShapeError } from '../../src/events/index.js';
import type { InboundItem } from '../../src/events/types.js';
import { decodeRecord, encodeRecord, itemsOf } from '../../src/inbox/record.js';
import { validateConfig } from '../../src/config/index.js';
import { buildRegistration, validateRegistration } from '../../src/registration/index.js';
import { classify } from '../../src/plugin/matrix-events.js';
import { startEndpoint, putTransaction } from '../helpers/endpoint.js';
import { makeEvent } from '../helpers/events.js';
import { synapseBody } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/net.js';

/** MSC3202 data as Synapse 1.94 sends it: both spellings of the key counts, with the same data. */
const counts = { '@bot:localhost': { BOTDEV: { signed_curve25519: 12 } } };
const msc3202 = {
  'org.matrix.msc3202.device_lists': { changed: ['@alice:localhost'], left: ['@bob:localhost'] },
  'org.matrix.msc3202.device_one_time_keys_count': counts,
  'org.matrix.msc3202.device_one_time_key_counts': counts,
  'org.matrix.msc3202.device_unused_fallback_key_types': { '@bot:localhost': { BOTDEV: ['signed_curve25519'] } },
};

describe('crypto: transaction extensions at the edge', () => {
  it('reads MSC3202 device lists, one-time key counts and fallback key types, typed', () => {
    const txn = parseTransaction({ events: [], ...msc3202 });
    assert.deepEqual(txn.deviceChanges, {
      deviceLists: { changed: ['@alice:localhost'], left: ['@bob:localhost'] },
      oneTimeKeyCounts: counts,
      unusedFallbackKeyTypes: { '@bot:localhost': { BOTDEV: ['signed_curve25519'] } },
    });
  });

  it('merges device lists under the unstable and the stable name, and has no device data when all is empty', () => {
    const txn = parseTransaction({
      events: [], 'org.matrix.msc3202.device_lists': { changed: ['@a:x'] }, device_lists: { changed: ['@a:x', '@b:x'], left: [] },
    });
    assert.deepEqual(txn.deviceChanges?.deviceLists, { changed: ['@a:x', '@b:x'], left: [] });
    const empty = parseTransaction({
      events: [], 'org.matrix.msc3202.device_lists': { changed: [], left: [] }, 'org.matrix.msc3202.device_one_time_keys_count': {},
    });
    assert.equal(empty.deviceChanges, undefined);
    assert.equal(parseTransaction(synapseBody('txn-15-to-device-single-device.json')).deviceChanges, undefined);
  });

  it('refuses malformed device data with the path of the bad field', () => {
    assert.throws(() => parseTransaction({ events: [], 'org.matrix.msc3202.device_lists': { changed: [42] } }),
      (err: unknown) => err instanceof ShapeError && err.path === 'org.matrix.msc3202.device_lists.changed[0]');
    assert.throws(() => parseTransaction({ events: [], 'org.matrix.msc3202.device_one_time_keys_count': { '@a:x': { D: { curve: -1 } } } }),
      (err: unknown) => err instanceof ShapeError && err.path === 'org.matrix.msc3202.device_one_time_keys_count.@a:x.D.curve');
  });

  it('journals device data as the last item of its transaction; a record from before keeps its item indexes', () => {
    const body = { events: [makeEvent('!r:localhost')], 'de.sorunome.msc2409.to_device': synapseBody<{ 'de.sorunome.msc2409.to_device': unknown[] }>('txn-15-to-device-single-device.json')['de.sorunome.msc2409.to_device'], ...msc3202 };
    const items = itemsOf(parseTransaction(body));
    assert.deepEqual(items.map((i) => i.kind), ['event', 'to_device', 'device_changes']);
    const raw = Buffer.from(JSON.stringify(body));
    assert.deepEqual(decodeRecord(encodeRecord({ t: '1', r: 0, n: 3 }, raw)).items.map((i) => i.kind), ['event', 'to_device', 'device_changes']);
    // Journaled by a version that did not read MSC3202 data: two items then.
    assert.deepEqual(decodeRecord(encodeRecord({ t: '1', r: 0, n: 2 }, raw)).items.map((i) => i.kind), ['event', 'to_device']);
  });

  it('takes a transaction carrying to-device data even past the backlog bound (Synapse drops it from a retry)', async () => {
    const handled: InboundItem[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const endpoint = await startEndpoint({ inbox: { maxBacklog: 1 }, handler: async (item) => { if (item.kind === 'event') await gate; handled.push(item); } });
    try {
      assert.equal((await putTransaction(endpoint.url, 'a', { events: [makeEvent('!r:localhost')] })).status, 200);
      assert.equal((await putTransaction(endpoint.url, 'b', { events: [makeEvent('!r:localhost')] })).status, 503, 'plain events wait');
      // Each with an event too: without the exception, the event alone would make it wait.
      assert.equal((await putTransaction(endpoint.url, 'c', { events: [makeEvent('!r:localhost')], ...msc3202 })).status, 200, 'device data is taken');
      const toDevice = synapseBody<Record<string, unknown>>('txn-15-to-device-single-device.json');
      assert.equal((await putTransaction(endpoint.url, 'd', { ...toDevice, events: [makeEvent('!r:localhost')] })).status, 200, 'to-device is taken');
      release();
      await waitFor(() => handled.length === 5, 5_000, 'every taken item handled');
      assert.deepEqual(handled.map((i) => i.kind).sort(), ['device_changes', 'event', 'event', 'event', 'to_device']);
    } finally {
      release();
      await endpoint.close();
    }
  });

  it('generates the registration with org.matrix.msc3202 only when encryption is enabled', () => {
    const base = {
      homeserver: { url: 'http://127.0.0.1:8008', domain: 'example.org' },
      appservice: { id: 'echo', url: 'http://127.0.0.1:9000', port: 9000, registration: 'r.yaml', bot: 'echobot', prefix: '_echo_' },
      store: { path: 'data' },
      bridge: { plugin: 'echo' },
    };
    const plain = buildRegistration(validateConfig(base, 'c.yaml', '/tmp'));
    assert.equal(plain['org.matrix.msc3202'], undefined);
    assert.equal(plain['de.sorunome.msc2409.push_ephemeral'], true);
    const encrypted = buildRegistration(validateConfig({ ...base, encryption: { enabled: true } }, 'c.yaml', '/tmp'));
    assert.equal(encrypted['org.matrix.msc3202'], true);
    assert.equal(encrypted['de.sorunome.msc2409.push_ephemeral'], true);
    assert.equal(validateRegistration(encrypted, 'r.yaml')['org.matrix.msc3202'], true);
  });

  it('classifies an m.room.encrypted event that reached the host as undecryptable, not as "other"', () => {
    const event = makeEvent('!r:localhost', { type: 'm.room.encrypted', content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x' } });
    const classified = classify(event);
    assert.equal(classified.kind, 'undecryptable');
  });
});
