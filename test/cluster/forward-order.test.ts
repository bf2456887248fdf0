import assert from 'node:assert/strict';
import { directOrder } from '../../src/cluster/forward-queue.js';

describe('cluster: the order of messages forwarded outside handlers', () => {
  it('is the order sent, within one millisecond and when the clock steps back', () => {
    const orders = [...Array.from({ length: 1_000 }, () => directOrder(1_700_000_000_000)), directOrder(1_699_999_999_000), directOrder(1_700_000_000_001)];
    assert.deepEqual([...orders].sort(), orders);
    assert.equal(new Set(orders).size, orders.length);
  });
});
