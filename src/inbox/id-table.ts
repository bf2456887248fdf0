/** Grow past this share of slots in use: linear probing stays short. */
const MAX_LOAD = 0.7;
/** Growing by half (not doubling) keeps the table between 47 % and 70 % full. */
const GROWTH = 1.5;
const MIN_SLOTS = 1024;
const TWO_20 = 0x100000;
const TWO_32 = 0x100000000;

/**
 * An open-addressing multimap from a 52-bit hash to a 32-bit value, in one Uint32Array of
 * (tag, value) pairs: 8 bytes a slot, so a million remembered ids cost 11–17 MB that the
 * garbage collector never traces. The tag is the hash's top 32 bits (never 0: 0 marks an
 * empty slot) and also gives the slot, scaled to any table size by multiply-shift, so the
 * table can regrow from tags alone. Equal tags are all kept and all returned; a tag is not
 * the whole hash, so a caller confirms every value it gets (with a million entries, a fresh
 * hash matches some tag about once in 4,000 lookups). There is no removal: a generation is
 * dropped whole.
 */
export class IdTable {
  /** Slot i: [2i] = tag (0: empty), [2i + 1] = value. */
  private slots!: Uint32Array;
  private capacity!: number;
  /** capacity / 2^32: a tag times this, floored, is its home slot (a multiply, not a divide). */
  private scale!: number;
  private count = 0;

  /** `expected`: entries it should hold without growing. */
  constructor(expected = 0) {
    this.allocate(Math.max(MIN_SLOTS, Math.ceil(expected / MAX_LOAD) + 1));
  }

  get size(): number {
    return this.count;
  }

  /** `value` must be an integer in [0, 2^32). */
  add(hash: number, value: number): void {
    if (!(Number.isInteger(value) && value >= 0 && value < TWO_32)) throw new RangeError(`IdTable value out of range: ${value}`);
    if (this.count + 1 > this.capacity * MAX_LOAD) this.grow();
    this.place(tagOf(hash), value);
    this.count++;
  }

  /**
   * Writes to `out`, from index 0, the value of every entry whose tag is `hash`'s (usually
   * none), and returns how many. `out` is the caller's scratch array: nothing is allocated.
   */
  collect(hash: number, out: number[]): number {
    const tag = tagOf(hash);
    const { slots, capacity } = this;
    let found = 0;
    for (let slot = Math.floor(tag * this.scale); slots[slot * 2] !== 0; slot = slot + 1 === capacity ? 0 : slot + 1) {
      if (slots[slot * 2] === tag) out[found++] = slots[slot * 2 + 1]!;
    }
    return found;
  }

  private place(tag: number, value: number): void {
    const { slots, capacity } = this;
    let slot = Math.floor(tag * this.scale);
    while (slots[slot * 2] !== 0) slot = slot + 1 === capacity ? 0 : slot + 1;
    slots[slot * 2] = tag;
    slots[slot * 2 + 1] = value;
  }

  private grow(): void {
    const old = this.slots;
    this.allocate(Math.ceil(this.capacity * GROWTH));
    // Homes keep the order of tags, so this pass writes the new table front to back.
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0) this.place(old[i]!, old[i + 1]!);
    }
  }

  private allocate(capacity: number): void {
    this.capacity = capacity;
    this.slots = new Uint32Array(capacity * 2);
    this.scale = capacity / TWO_32;
  }
}

/** The hash's top 32 bits, never 0. */
function tagOf(hash: number): number {
  return Math.floor(hash / TWO_20) || 1;
}

