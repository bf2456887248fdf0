import assert from 'node:assert/strict';
import { JournaledHere, type JournaledBlock } from '../../src/cluster/journaled-here.js';
import type { SharedEntry } from '../../src/cluster/journal-items.js';
import { makeEvent } from '../helpers/events.js';

function block(base: number, seqs: number[], end = base + seqs.length): JournaledBlock {
  const entries: SharedEntry[] = seqs.map((seq) => ({ seq, txnId: `t${base}`, receivedAt: 0, item: { kind: 'event', event: makeEvent('!r:localhost') }, lane: '!r:localhost' }));
  return { base, end, entries };
}

describe('cluster: what a process journaled goes to the dispatcher from memory, in order', () => {
  it('hands blocks over in sequence order whatever order their answers came in, while its own accepts may fill the gap', () => {
    const here = new JournaledHere();
    const seen: number[] = [];
    const dispatch = (e: SharedEntry) => seen.push(e.seq);
    here.sent();
    here.sent();
    here.answered(block(3, [3, 4, 5]));
    // The first accept is still in flight: the gap before 3 may be its block.
    assert.deepEqual(here.advance(0, dispatch), { next: 0, read: false });
    here.answered(block(0, [0, 2], 3)); // 1 was a duplicate: a hole in its block
    assert.deepEqual(here.advance(0, dispatch), { next: 6, read: false });
    assert.deepEqual(seen, [0, 2, 3, 4, 5]);
  });

  it('reads the journal for a gap no accept of its own can fill, and forgets what the read passed', () => {
    const here = new JournaledHere();
    const seen: number[] = [];
    const dispatch = (e: SharedEntry) => seen.push(e.seq);
    here.sent();
    here.answered(block(10, [10, 11]));
    // Nothing in flight: 0..9 were another process's.
    assert.deepEqual(here.advance(0, dispatch), { next: 0, read: true });
    assert.deepEqual(seen, []);
    // A read that reached 11 (a page ending inside the block): only what is past it goes over.
    assert.deepEqual(here.advance(11, dispatch), { next: 12, read: false });
    assert.deepEqual(seen, [11]);
    // A read past every block: nothing is left to hand over or to wait for.
    here.sent();
    here.answered(block(12, [12]));
    assert.deepEqual(here.advance(20, dispatch), { next: 20, read: false });
    assert.deepEqual(seen, [11]);
  });

  it('stops waiting for its own accepts once too many blocks wait behind a gap', () => {
    const here = new JournaledHere();
    here.sent();
    for (let i = 1; i <= 8; i++) {
      here.sent();
      here.answered(block(i * 10, [i * 10]));
    }
    assert.equal(here.advance(0, () => undefined).read, true);
  });
});
