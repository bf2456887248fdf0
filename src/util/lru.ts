/**
 * A least-recently-used map with a fixed capacity (Map keeps insertion order; a hit
 * re-inserts, unless it is on the key used last: a busy room's next event moves nothing).
 */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  /** The key used last (undefined after it left). */
  private newest: K | undefined;

  /** `onEvict` hears of each entry pushed out by `set` (not of `delete` or `clear`). */
  constructor(private readonly capacity: number, private readonly onEvict?: (key: K, value: V) => void) {
    if (!(capacity >= 1)) throw new RangeError('an LRU needs a capacity of at least 1');
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    if (key === this.newest) return value;
    this.map.delete(key);
    this.map.set(key, value);
    this.newest = key;
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    this.newest = key;
    if (this.map.size > this.capacity) {
      const oldest = this.map.entries().next();
      if (!oldest.done) {
        this.map.delete(oldest.value[0]);
        this.onEvict?.(oldest.value[0], oldest.value[1]);
      }
    }
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  delete(key: K): void {
    this.map.delete(key);
    if (key === this.newest) this.newest = undefined;
  }

  clear(): void {
    this.map.clear();
    this.newest = undefined;
  }
}
