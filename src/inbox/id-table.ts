/** Grow past this share of slots in use: linear probing stays short. */
const MAX_LOAD = 0.7;

/**
 * An open-addressing multimap from a 52-bit hash to an integer (< 2^53), in one
 * Float64Array of (hash + 1, value) pairs: a probe touches one cache line, and a million
 * remembered ids cost 16–32 MB that the garbage collector never traces. Equal hashes are all kept
 * (linear probing finds each), because two ids may collide. There is no removal: a
 * generation is dropped whole.
 */
export class IdTable {
  /** Slot i: [2i] = hash + 1 (0: empty), [2i + 1] = value. */
  private slots: Float64Array;
  private mask: number;
  private count = 0;

  /** `expected`: entries it should hold without growing. */
  constructor(expected = 0) {
    let size = 1024;
    while (size * MAX_LOAD < expected) size *= 2;
    this.slots = new Float64Array(size * 2);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  add(hash: number, value: number): void {
    if (this.count + 1 > (this.mask + 1) * MAX_LOAD) this.grow();
    this.place(hash + 1, value);
    this.count++;
  }

  /** Appends to `out` the value of every entry whose hash is `hash` (usually none). */
  collect(hash: number, out: number[]): void {
    const key = hash + 1;
    const { slots, mask } = this;
    for (let slot = (key >>> 0) & mask; slots[slot * 2] !== 0; slot = (slot + 1) & mask) {
      if (slots[slot * 2] === key) out.push(slots[slot * 2 + 1]!);
    }
  }

  private place(key: number, value: number): void {
    const { slots, mask } = this;
    let slot = (key >>> 0) & mask;
    while (slots[slot * 2] !== 0) slot = (slot + 1) & mask;
    slots[slot * 2] = key;
    slots[slot * 2 + 1] = value;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    this.mask = old.length - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0) this.place(old[i]!, old[i + 1]!);
    }
  }
}
