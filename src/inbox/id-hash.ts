/** A hash of an item id into [0, 2^52): exact in a JS number, so it keys a Float64Array. */
export type IdHash = (id: string) => number;

const TWO_26 = 0x4000000;

/** Murmur3's finalizer: every input bit affects every output bit. */
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Two independent 32-bit multiplicative hashes over the UTF-16 code units, taken two at a
 * time as one 32-bit word (half the steps: an id is hashed once per transaction, on the
 * hot path), 26 bits of each. Not cryptographic and it need not be: a hit is always
 * confirmed against the stored ids, so a collision costs one read, never an event.
 */
export const hashId: IdHash = (id) => {
  let a = 0x811c9dc5;
  let b = 0x6a09e667;
  const even = id.length & ~1;
  for (let i = 0; i < even; i += 2) {
    const word = id.charCodeAt(i) | (id.charCodeAt(i + 1) << 16);
    a = Math.imul(a ^ word, 0x01000193);
    b = Math.imul(b ^ word, 0x5bd1e995);
  }
  if (even < id.length) {
    const c = id.charCodeAt(even);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (fmix(a) >>> 6) * TWO_26 + (fmix(b ^ id.length) >>> 6);
};
