import assert from 'node:assert/strict';
import { Store } from '../../src/store/index.js';
import { parseTransaction } from '../../src/events/index.js';
import type { InboundItem, RoomEvent } from '../../src/events/types.js';
import { startEndpoint, putTransaction, type Endpoint } from '../helpers/endpoint.js';
import { makeEvent } from '../helpers/events.js';
import { waitFor } from '../helpers/net.js';

const eventIds = (items: InboundItem[]) => items.flatMap((i) => (i.kind === 'event' ? [i.event.event_id] : []));
const ids = (events: RoomEvent[]) => events.map((e) => e.event_id);

async function keysOf(storePath: string, section: string): Promise<string[]> {
  const store = await Store.open(storePath);
  try {
    const keys: string[] = [];
    for await (const key of store.section(section).keys()) keys.push(key);
    return keys;
  } finally {
    await store.close();
  }
}

describe('inbox: one journal record per transaction', () => {
  const open: Endpoint[] = [];
  const start = async (...args: Parameters<typeof startEndpoint>) => {
    const endpoint = await startEndpoint(...args);
    open.push(endpoint);
    return endpoint;
  };
  afterEach(async () => {
    for (const endpoint of open.splice(0)) await endpoint.close().catch(() => {});
  });

  it('resumes a partly handled transaction with only the items it had not handled', async () => {
    const room = '!partial:localhost';
    const events = Array.from({ length: 5 }, () => makeEvent(room));
    const typing = { type: 'm.typing', room_id: room, content: { user_ids: ['@a:localhost'] } };
    const toDevice = { type: 'm.x', sender: '@a:localhost', to_user_id: '@b:localhost', to_device_id: 'D', content: {} };
    // Both the stable and the unstable keys, as Synapse sends them: each item counts once.
    const body = { events, ephemeral: [typing], 'de.sorunome.msc2409.ephemeral': [typing], 'de.sorunome.msc2409.to_device': [toDevice] };
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const first = await start({
      handler: async (item) => {
        if (item.kind === 'event' && item.event.event_id === events[2]!.event_id) await gate;
      },
    });
    assert.equal((await putTransaction(first.url, 't1', body)).status, 200);
    await waitFor(() => first.handled.length >= 3, 5_000, 'the items before the stuck one (and the to-device message)');
    await first.close(false); // the stuck handler's item and those behind it stay journaled
    const handledBefore = first.handled.map((i) => i.kind === 'event' ? i.event.event_id : i.kind);
    release();

    assert.equal((await keysOf(first.storePath, 'inbox.journal')).length, 1, 'one record for the transaction');
    assert.equal((await keysOf(first.storePath, 'inbox.progress')).length, 1, 'and its progress');

    const second = await start({ storePath: first.storePath });
    await second.inbox.drained();
    const handledAfter = second.handled.map((i) => i.kind === 'event' ? i.event.event_id : i.kind);
    assert.deepEqual([...handledBefore, ...handledAfter].sort(), [...ids(events), 'ephemeral', 'to_device'].sort(), 'every item once');
    assert.deepEqual(eventIds(second.handled), ids(events).slice(2), 'only the unhandled events, in order');
    await second.close(false);
    assert.deepEqual(await keysOf(first.storePath, 'inbox.journal'), []);
    assert.deepEqual(await keysOf(first.storePath, 'inbox.progress'), []);
  });

  it('confirms every hash hit against the stored ids, so a collision drops no event', async () => {
    const room = '!collide:localhost';
    const [e1, e2, e3, e4, e5] = Array.from({ length: 5 }, () => makeEvent(room));
    // Every id hashes alike: every lookup hits, and only the stored ids can tell them apart.
    const inbox = { hashId: () => 42 };
    const first = await start({ inbox });
    for (const [txnId, events] of [['1', [e1, e2]], ['2', [e3]], ['1', [e1, e2]], ['3', [e2, e4]]] as const) {
      assert.equal((await putTransaction(first.url, txnId, { events })).status, 200);
    }
    await first.inbox.drained();
    assert.deepEqual(eventIds(first.handled), ids([e1!, e2!, e3!, e4!]));
    await first.close(false);

    const second = await start({ storePath: first.storePath, inbox });
    assert.equal((await putTransaction(second.url, '4', { events: [e3, e5] })).status, 200);
    await second.inbox.drained();
    assert.deepEqual(eventIds(second.handled), ids([e5!]), 'the rebuilt index confirms against the records on disk');

    // Overlapping transactions at once, each waiting on record reads: the shared event is taken once.
    const [e6, e7, e8] = Array.from({ length: 3 }, () => makeEvent(room));
    const answers = await Promise.all([
      putTransaction(second.url, '5', { events: [e6, e7] }),
      putTransaction(second.url, '6', { events: [e7, e8] }),
      putTransaction(second.url, '7', { events: [e8, e6] }),
    ]);
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    await second.inbox.drained();
    assert.deepEqual(eventIds(second.handled).slice(1).sort(), ids([e6!, e7!, e8!]).sort());
  });

  it('remembers delivered ids across a restart, from the dedupe records (the journal is empty by then)', async () => {
    const events = Array.from({ length: 3 }, () => makeEvent('!r:localhost'));
    const first = await start();
    assert.equal((await putTransaction(first.url, '1', { events: events.slice(0, 2) })).status, 200);
    await first.inbox.drained();
    await first.close(false);
    assert.deepEqual(await keysOf(first.storePath, 'inbox.journal'), []);

    const second = await start({ storePath: first.storePath });
    assert.equal((await putTransaction(second.url, '1', { events })).status, 200);
    await second.inbox.drained();
    assert.deepEqual(eventIds(second.handled), ids(events.slice(2)));
  });

  it('starts a new dedupe generation past half of dedupeMaxIds, forgetting (and deleting) the oldest', async () => {
    const room = '!many:localhost';
    const [a, b, c, d, e, f, g] = Array.from({ length: 7 }, () => makeEvent(room));
    const endpoint = await start({ inbox: { dedupeMaxIds: 6 } });
    const send = async (txnId: string, events: RoomEvent[]) => {
      assert.equal((await putTransaction(endpoint.url, txnId, { events })).status, 200);
      await endpoint.inbox.drained();
    };
    await send('1', [a!, b!, c!]); // generation 0 holds 3 = half of 6: the next accept starts a new one
    await send('2', [d!]); // generation 1
    await send('3', [e!, f!]); // generation 1 holds 3
    await send('4', [a!]); // generation 2; generation 0 is dropped: `a` is forgotten
    await send('5', [d!, g!]); // `d` is still in generation 1
    assert.deepEqual(eventIds(endpoint.handled), ids([a!, b!, c!, d!, e!, f!, a!, g!]));
    await waitFor(async () => {
      const records = await endpoint.store.db.sublevel('inbox.dedupe').keys().all();
      return records.length === 4; // transactions 2 and 3, 4 and 5
    }, 5_000, 'generation 0 deleted from disk');
  });

  it('journals a transaction handed over without its body, and parses it back the same after a restart', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const first = await start({ handler: () => gate });
    const body = {
      events: [makeEvent('!a:localhost'), makeEvent('!b:localhost')],
      ephemeral: [{ type: 'm.typing', room_id: '!a:localhost', content: { user_ids: [] } }],
      to_device: [{ type: 'm.x', sender: '@a:localhost', to_user_id: '@b:localhost', to_device_id: 'D', content: { n: 1 } }],
    };
    const txn = parseTransaction(structuredClone(body));
    const result = await first.inbox.accept('no-body', txn);
    assert.equal(result.entries.length, 4);
    await first.close(false);
    release();

    const second = await start({ storePath: first.storePath });
    await second.inbox.drained();
    const key = (i: InboundItem) => JSON.stringify(i);
    assert.deepEqual(second.handled.map(key).sort(), result.entries.map((e) => key(e.item)).sort());
  });
});
