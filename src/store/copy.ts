import type { Store } from './store.js';

/** Keys written per batch while copying. */
const COPY_BATCH = 1_000;
const RAW = { keyEncoding: 'buffer', valueEncoding: 'buffer' } as const;

/** Keys per section (the name between the first two `!` of a key; `(root)` for a key outside any). */
export type SectionCounts = ReadonlyMap<string, number>;

function sectionOf(key: Buffer): string {
  if (key[0] !== 0x21) return '(root)';
  const end = key.indexOf(0x21, 1);
  return end < 0 ? '(root)' : key.subarray(1, end).toString('utf8');
}

/** Counts every key of the store, by section, in one pass. */
export async function countSections(store: Store): Promise<SectionCounts> {
  const counts = new Map<string, number>();
  for await (const key of store.db.keys({ keyEncoding: 'buffer' })) {
    const name = sectionOf(key as unknown as Buffer);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

export interface CopyResult {
  readonly source: SectionCounts;
  readonly target: SectionCounts;
  /** Sections whose count differs between source and target after the copy (empty: verified). */
  readonly mismatched: readonly string[];
}

/**
 * Copies every key and value of `from` into `to`, bytes as they are (values stay in the
 * JSON or bytes their section wrote), in batches; then counts both sides again, section
 * by section. `to` must be empty: a copy never merges into data it would silently mix with.
 */
export async function copyStore(from: Store, to: Store, onProgress: (copied: number) => void = () => undefined): Promise<CopyResult> {
  for await (const _ of to.db.keys({ limit: 1 })) throw new Error(`the target ${to.location} is not empty: copy into an empty store`);
  let batch: Array<{ type: 'put'; key: Buffer; value: Buffer }> = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await to.db.batch(batch as never, RAW);
    onProgress(batch.length);
    batch = [];
  };
  for await (const [key, value] of from.db.iterator(RAW)) {
    batch.push({ type: 'put', key: key as unknown as Buffer, value: value as unknown as Buffer });
    if (batch.length >= COPY_BATCH) await flush();
  }
  await flush();
  const [source, target] = [await countSections(from), await countSections(to)];
  const names = new Set([...source.keys(), ...target.keys()]);
  const mismatched = [...names].filter((name) => source.get(name) !== target.get(name)).sort();
  return { source, target, mismatched };
}
