import assert from 'node:assert/strict';
import { Store, del, put, type Section, type WriteOp } from '../../src/store/index.js';
import { AckQueue } from '../../src/inbox/acks.js';
import { Committer } from '../../src/inbox/committer.js';
import { journaledItems } from '../../src/inbox/progress.js';
import { inboxSections } from '../../src/inbox/sections.js';
import type { InboundItem } from '../../src/events/types.js';
import { makeEvent } from '../helpers/events.js';
import { tempDir } from '../helpers/temp.js';

/** A store stand-in that records each batch and fails the ones `fail` picks. */
function fakeStore(fail: (ops: readonly WriteOp[]) => boolean = () => false) {
  const batches: Array<Array<{ type: string; key: string; value?: unknown }>> = [];
  const store = {
    async write(ops: readonly WriteOp[]): Promise<void> {
      await new Promise((r) => setImmediate(r));
      if (fail(ops)) throw new Error('disk full');
      // As the store would encode them: JSON (HandledPrefix serializes itself).
      batches.push(ops.map((op) => op.type === 'put' ? { type: op.type, key: op.key, value: JSON.parse(JSON.stringify(op.value)) as unknown } : { type: op.type, key: op.key }));
    },
  } as unknown as Store;
  return { store, batches };
}

describe('inbox: the committer', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let real: Store;
  let section: Section<string>;
  before(async () => {
    dir = await tempDir();
    real = await Store.open(dir.path);
    section = real.section('test');
  });
  after(async () => { await real.close(); await dir.cleanup(); });

  it('keeps only the last write to a key within a batch, in its place', async () => {
    const { store, batches } = fakeStore();
    const committer = new Committer(store);
    await Promise.all([
      committer.commit([put(section, 'a', '1'), put(section, 'b', '1')]),
      committer.commit([put(section, 'a', '2')]),
      committer.commit(() => [del(section, 'b'), put(section, 'c', '1')]),
    ]);
    assert.deepEqual(batches, [[
      { type: 'put', key: 'a', value: '2' },
      { type: 'del', key: 'b' },
      { type: 'put', key: 'c', value: '1' },
    ]]);
  });

  it('fails every caller queued behind a failed batch, undoing all of them before any hears of it', async () => {
    let failNext = true;
    const { store, batches } = fakeStore(() => (failNext ? !(failNext = false) : false));
    const committer = new Committer(store);
    const undone: string[] = [];
    const heard: string[] = [];
    const first = committer.commit([put(section, 'x', '1')], () => undone.push('first'));
    await new Promise((r) => setImmediate(r)); // the first batch is being written
    const second = committer.commit([put(section, 'y', '1')], () => undone.push('second'));
    const results = await Promise.allSettled([
      first.catch((err: unknown) => { heard.push(`first: ${undone.join()}`); throw err; }),
      second.catch((err: unknown) => { heard.push(`second: ${undone.join()}`); throw err; }),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.deepEqual(heard, ['first: first,second', 'second: first,second']);
    await committer.commit([put(section, 'z', '1')]);
    assert.deepEqual(batches, [[{ type: 'put', key: 'z', value: '1' }]], 'it goes on after a failure');
  });

  it('never lets a progress record claim an item whose own acknowledgement failed', async () => {
    const items: InboundItem[] = [0, 1, 2].map(() => ({ kind: 'event', event: makeEvent('!r:localhost') }));
    const sections = inboxSections(real);
    const [a, b, c] = journaledItems(100, '0000000000000100', 't', 1, items, undefined, [], sections);
    // a's acknowledgement (with the handler's writes) fails; b and c are acknowledged after.
    const { store, batches } = fakeStore((ops) => ops.some((op) => op.type === 'put' && op.key === 'effect-of-a' && op.value === '1'));
    const committer = new Committer(store);
    const acks = new AckQueue(committer, { durable: () => {}, failed: () => {}, recovered: () => {} });
    const failed = committer.commit([...a!.txn.ack(a!.index), put(section, 'effect-of-a', '1')], () => a!.txn.unack(a!.index));
    await assert.rejects(failed, /disk full/);
    acks.add(b!);
    acks.add(c!);
    await committer.commit([]);
    assert.deepEqual(batches, [[{ type: 'put', key: '0000000000000100', value: [1, 2] }]], 'b and c, not a');
    // a, retried, completes the transaction: its records go.
    await committer.commit([...a!.txn.ack(a!.index), put(section, 'effect-of-a', '2')]);
    assert.deepEqual(batches[1], [
      { type: 'del', key: '0000000000000100' },
      { type: 'del', key: '0000000000000100' },
      { type: 'put', key: 'effect-of-a', value: '2' },
    ]);
  });

  it('writes acknowledgements again after a failed write, until the store takes them', async () => {
    const items: InboundItem[] = [0, 1].map(() => ({ kind: 'event', event: makeEvent('!r:localhost') }));
    const [a, b] = journaledItems(200, '0000000000000200', 't', 1, items, undefined, [], inboxSections(real));
    let failing = 2;
    const { store, batches } = fakeStore(() => failing-- > 0);
    const committer = new Committer(store);
    const seen: string[] = [];
    let durable = 0;
    const acks = new AckQueue(committer, {
      durable: (count) => { durable += count; },
      failed: (_err, entries, retryInMs) => seen.push(`failed ${entries.length} retry in ${retryInMs}`),
      recovered: (failures) => seen.push(`recovered after ${failures}`),
    });
    acks.add(a!);
    acks.add(b!);
    const deadline = Date.now() + 5_000;
    while (durable < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(durable, 2, 'both acknowledgements became durable');
    assert.deepEqual(seen, ['failed 2 retry in 100', 'failed 2 retry in 200', 'recovered after 2']);
    assert.deepEqual(batches, [[{ type: 'del', key: '0000000000000200' }]], 'the transaction ends in one write');
    assert.equal(acks.waiting, 0);
  });
});
