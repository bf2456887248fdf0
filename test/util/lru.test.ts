import { strict as assert } from 'node:assert';
import { Lru } from '../../src/util/lru.js';

describe('Lru', () => {
  it('evicts the least recently used entry, a hit counting as a use', () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(3, (key) => evicted.push(key));
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    assert.equal(lru.get('a'), 1); // a is the newest now: b is the oldest
    lru.set('d', 4);
    assert.deepEqual(evicted, ['b']);
    assert.equal(lru.get('b'), undefined);
  });

  it('keeps the order right when the newest entry is asked for again and again', () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(2, (key) => evicted.push(key));
    lru.set('a', 1);
    lru.set('b', 2);
    assert.equal(lru.get('a'), 1);
    assert.equal(lru.get('a'), 1); // already the newest: nothing moves
    lru.set('c', 3);
    assert.deepEqual(evicted, ['b']);
    assert.deepEqual([...lru.values()], [1, 3]);
  });

  it('forgets which key is newest when that key is deleted or the map cleared', () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(2, (key) => evicted.push(key));
    lru.set('a', 1);
    lru.set('b', 2);
    lru.delete('b');
    lru.set('b', 20);
    assert.equal(lru.get('a'), 1); // must move a after b again, not be taken for the newest
    lru.set('c', 3);
    assert.deepEqual(evicted, ['b']);
    lru.clear();
    assert.equal(lru.size, 0);
    lru.set('x', 1);
    lru.set('y', 2);
    assert.equal(lru.get('x'), 1);
    lru.set('z', 3);
    assert.deepEqual(evicted, ['b', 'y']);
  });
});
