import assert from 'node:assert/strict';
import { Store } from '../../src/store/index.js';
import { DedupeIndex, dedupeKey, type DedupeOptions, type StoredRecords } from '../../src/inbox/dedupe.js';
import { hashId } from '../../src/inbox/id-hash.js';
import { inboxSections } from '../../src/inbox/sections.js';
import { tempDir } from '../helpers/temp.js';

const hour = 3_600_000;
const options = (overrides: Partial<DedupeOptions> = {}): DedupeOptions => ({
  windowMs: hour, maxIds: 1_000_000, hash: hashId, onPruneError: (err) => { throw err; }, ...overrides,
});

/** What the index says of `ids` at `now`, reading the records a hash hit points at. */
async function verdictOf(index: DedupeIndex, ids: string[], now = Date.now()) {
  const hashes = ids.map(hashId);
  let verdict = index.lookup(ids, hashes, now);
  let stored: StoredRecords | undefined;
  while (verdict.unread.length > 0) {
    stored = await index.read(verdict.unread, stored);
    verdict = index.lookup(ids, hashes, now, stored);
  }
  return verdict;
}

/** The ids of `ids` the index says it has seen at `now`. */
async function seen(index: DedupeIndex, ids: string[], now: number): Promise<string[]> {
  const verdict = await verdictOf(index, ids, now);
  return ids.filter((_, i) => verdict.seen[i]);
}

/** Remembers `ids` as the transaction `seq`, durably. */
async function remember(store: Store, index: DedupeIndex, seq: number, ids: string[]): Promise<void> {
  const { op, key } = index.remember(seq, ids, ids.map(hashId));
  await store.write([op]);
  index.settled(key);
}

async function recordKeys(store: Store): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of inboxSections(store).dedupe.keys()) keys.push(key);
  return keys;
}

describe('inbox: the dedupe window', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: Store;
  beforeEach(async () => { dir = await tempDir(); store = await Store.open(dir.path); });
  afterEach(async () => { await store.close(); await dir.cleanup(); });

  it('remembers an id for at least the window and forgets it after two', async () => {
    const t0 = 10 * hour + 1;
    const index = await DedupeIndex.open(inboxSections(store).dedupe, options(), t0);
    await remember(store, index, 1, ['$a']);
    assert.deepEqual(await seen(index, ['$a', '$b'], t0), ['$a']);
    assert.deepEqual(await seen(index, ['$a'], t0 + hour - 2), ['$a'], 'still within the window');
    assert.deepEqual(await seen(index, ['$a'], t0 + hour + 5), ['$a'], 'the previous generation is checked');
    await index.rotateIfDue(t0 + 2 * hour + 6);
    assert.deepEqual(await seen(index, ['$a'], t0 + 2 * hour + 6), []);
    assert.deepEqual(await recordKeys(store), [], 'the expired generation is deleted from disk');
  });

  it('finds the same id twice in one list, and ids whose record is not durable yet', async () => {
    const index = await DedupeIndex.open(inboxSections(store).dedupe, options());
    const { key } = index.remember(1, ['$x'], [hashId('$x')]);
    const verdict = await verdictOf(index, ['$y', '$y', '$x']);
    assert.deepEqual(verdict.seen, [false, true, true]);
    assert.equal(verdict.inFlight, true);
    index.settled(key); // never written: a hit now reads the store and confirms nothing
    assert.deepEqual(await seen(index, ['$x'], Date.now()), []);
  });

  it('tells repeats within one list apart from hash collisions, in lists of any length', async () => {
    // Every id hashes alike: only comparing the ids tells a repeat from a collision.
    const collide = { hash: () => 7 };
    const index = await DedupeIndex.open(inboxSections(store).dedupe, options(collide));
    const list = ['$a', '$b', '$a', '$c', '$b'];
    assert.deepEqual(index.lookup(list, list.map(() => 7)).seen, [false, false, true, false, true]);
    const long = Array.from({ length: 300 }, (_, i) => `$long${i % 200}`);
    const verdict = index.lookup(long, long.map(hashId));
    assert.deepEqual(verdict.seen.map((s, i) => s === (i >= 200)), long.map(() => true), 'the second hundred repeat the first');
    // The scratch table is empty again: a short list after a long one sees nothing of it.
    assert.deepEqual(index.lookup(['$long1', '$long2'], [hashId('$long1'), hashId('$long2')]).seen, [false, false]);
  });

  it('is rebuilt from its records at open, keeping two generations and deleting older ones', async () => {
    const t0 = 10 * hour;
    const section = inboxSections(store).dedupe;
    let index = await DedupeIndex.open(section, options(), t0);
    await remember(store, index, 2, ['$old1', '$old2']);
    await index.rotateIfDue(t0 + hour);
    await remember(store, index, 5, ['$new']);
    // A generation a crash left behind before its range delete.
    await section.put(dedupeKey(t0 - 5 * hour, 1), ['$ancient']);

    index = await DedupeIndex.open(section, options(), t0 + hour + 1);
    assert.equal(index.size, 3);
    assert.deepEqual(await seen(index, ['$old1', '$old2', '$new', '$ancient', '$other'], t0 + hour + 1), ['$old1', '$old2', '$new']);
    assert.deepEqual(await recordKeys(store), [dedupeKey(t0, 2), dedupeKey(t0 + hour, 5)]);
  });

  it('starts a new generation once the current one holds half of maxIds', async () => {
    const t0 = 10 * hour;
    const index = await DedupeIndex.open(inboxSections(store).dedupe, options({ maxIds: 4 }), t0);
    await remember(store, index, 1, ['$a', '$b']);
    assert.deepEqual(await seen(index, ['$a'], t0 + 1), ['$a'], 'full: rotated, still in the previous generation');
    await remember(store, index, 3, ['$c', '$d']);
    await index.rotateIfDue(t0 + 2);
    assert.deepEqual(await seen(index, ['$a', '$b', '$c', '$d'], t0 + 2), ['$c', '$d']);
    assert.equal(index.size, 2);
    assert.equal((await recordKeys(store)).length, 1);
  });
});
