import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hashId } from '../../src/inbox/id-hash.js';
import { IdTable } from '../../src/inbox/id-table.js';

const TWO_52 = 2 ** 52;

describe('inbox: the id table', () => {
  it('finds every entry it was given, across regrowth', () => {
    const table = new IdTable();
    const hashes = Array.from({ length: 50_000 }, (_, i) => hashId(`$event${i}:example.org`));
    hashes.forEach((hash, i) => table.add(hash, i));
    assert.equal(table.size, 50_000);
    const out: number[] = [];
    hashes.forEach((hash, i) => {
      const found = table.collect(hash, out);
      assert.ok(out.slice(0, found).includes(i), `entry ${i} lost`);
    });
  });

  it('returns every value of a repeated hash, and nothing for hashes it never saw (bar rare tag matches)', () => {
    const table = new IdTable(10);
    table.add(12345 * 2 ** 20, 1);
    table.add(12345 * 2 ** 20, 2);
    table.add(12345 * 2 ** 20 + 7, 3); // same top 32 bits: the same tag, also returned
    const out: number[] = [];
    assert.equal(table.collect(12345 * 2 ** 20, out), 3);
    assert.deepEqual(out.sort(), [1, 2, 3]);
    let stray = 0;
    for (let i = 0; i < 10_000; i++) stray += table.collect(hashId(`$unseen${i}`), out);
    assert.equal(stray, 0);
  });

  it('keeps hashes whose tag would be 0 (0 marks an empty slot)', () => {
    const table = new IdTable();
    table.add(0, 7);
    table.add(2 ** 20 - 1, 8);
    const out: number[] = [];
    assert.equal(table.collect(0, out), 2);
    assert.deepEqual(out.sort(), [7, 8]);
  });

  it('writes what it finds from the start of the scratch array, whatever was there before', () => {
    const table = new IdTable();
    table.add(99 * 2 ** 20, 5);
    const out = [1, 2, 3, 4];
    assert.equal(table.collect(99 * 2 ** 20, out), 1);
    assert.equal(out[0], 5);
    assert.equal(table.collect(hashId('$never'), out), 0);
  });

  it('refuses values that do not fit in 32 bits', () => {
    const table = new IdTable();
    assert.throws(() => table.add(1, 2 ** 32), RangeError);
    assert.throws(() => table.add(1, -1), RangeError);
    assert.throws(() => table.add(1, 0.5), RangeError);
  });

  it('sized for what it will hold, it does not grow (8 bytes a slot, at most 70 % full)', () => {
    const table = new IdTable(100_000);
    const slots = (table as unknown as { slots: Uint32Array }).slots;
    for (let i = 0; i < 100_000; i++) table.add(hashId(`$e${i}`), i);
    assert.equal((table as unknown as { slots: Uint32Array }).slots, slots, 'no regrowth');
    assert.ok(slots.byteLength <= 100_000 / 0.7 * 8 + 64, `${slots.byteLength} bytes`);
  });

  it('property: any multiset of (hash, value) pairs is found again', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: TWO_52 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })), { maxLength: 3_000 }),
      (entries) => {
        const table = new IdTable();
        for (const [hash, value] of entries) table.add(hash, value);
        const out: number[] = [];
        for (const [hash, value] of entries) {
          if (!out.slice(0, table.collect(hash, out)).includes(value)) return false;
        }
        return table.size === entries.length;
      },
    ), { numRuns: 200 });
  });
});
