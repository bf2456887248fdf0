import { hash } from 'node:crypto';
import { stringifyJson } from '../json/index.js';
import type { Section } from '../store/index.js';
import { put, type WriteOp } from '../store/index.js';
import { seqKey } from './entries.js';
import type { IdHash } from './id-hash.js';
import { IdTable } from './id-table.js';

/**
 * Ids remembered in one generation: hash → the sequence number of the transaction whose
 * dedupe record lists the id (the record's key is the generation's prefix and that number).
 * The table holds sequence numbers as offsets from the generation's first, in 32 bits.
 */
interface Generation {
  /** When it started (ms); also its key prefix, so that records sort by age. */
  readonly start: number;
  readonly prefix: string;
  readonly table: IdTable;
  /** The smallest sequence number remembered (set by the first). */
  base: number | undefined;
  ids: number;
}

/** `expectedIds`: what it will hold (like the generation before it), so it need not regrow. */
function generation(start: number, expectedIds = 0, base?: number): Generation {
  return { start, prefix: `${start.toString().padStart(15, '0')}!`, table: new IdTable(expectedIds), base, ids: 0 };
}

function remember(gen: Generation, seq: number, hashes: readonly number[]): void {
  const base = gen.base ??= seq;
  for (const hash of hashes) gen.table.add(hash, seq - base);
  gen.ids += hashes.length;
}

/** The key of a dedupe record: its generation, then the journal key of its transaction. */
export function dedupeKey(generationStart: number, seq: number): string {
  return `${generationStart.toString().padStart(15, '0')}!${seqKey(seq)}`;
}

export interface DedupeOptions {
  readonly windowMs: number;
  /** The current generation is closed once it holds half of this many ids. */
  readonly maxIds: number;
  readonly hash: IdHash;
  /** A range delete of expired records failed (the next open deletes them). */
  readonly onPruneError: (err: unknown) => void;
}

export interface DedupeVerdict {
  /** Per id: remembered, or earlier in the same list. */
  readonly seen: boolean[];
  /** Some id was found only in a record that is not durable yet. */
  readonly inFlight: boolean;
  /** Records a hash hit points at that must be read (`read`) before the verdict is final. */
  readonly unread: string[];
}

/** Records read from disk for one lookup: key → ids (undefined: not there). */
export type StoredRecords = Map<string, readonly string[] | undefined>;

/**
 * The dedupe window: which item ids were accepted recently. In memory, per generation, a
 * table from a 52-bit hash of each id to the persisted record (one per transaction) that
 * lists it; a hash hit is confirmed by reading that record, so a collision costs a read
 * and never drops an event, and a fresh id costs no read at all.
 *
 * Two generations are kept, on disk and in memory. A new one starts when the current one
 * is `windowMs` old (so an id is remembered for at least the window, and forgotten after
 * about two) or holds `maxIds / 2` ids (memory stays bounded under any load); the oldest
 * goes in one range delete. The tables are rebuilt from the records at open.
 */
export class DedupeIndex {
  /** Records committed but not yet durable, by key: their ids (a retry may overlap them). */
  private readonly inFlight = new Map<string, readonly string[]>();
  private readonly found: number[] = [];
  private readonly repeats = new RepeatFinder();

  private constructor(
    private readonly section: Section<readonly string[]>,
    private readonly options: DedupeOptions,
    private current: Generation,
    private previous: Generation | undefined,
  ) {}

  static async open(section: Section<readonly string[]>, options: DedupeOptions, now = Date.now()): Promise<DedupeIndex> {
    const found: Array<{ start: number; ids: number; records: Array<[number, number[]]> }> = [];
    // Newest first: the two newest generations are loaded; anything older had expired.
    for await (const [key, value] of section.iterator({ reverse: true })) {
      const start = Number(key.slice(0, 15));
      let gen = found[found.length - 1];
      if (gen?.start !== start) {
        if (found.length === 2) break;
        found.push(gen = { start, ids: 0, records: [] });
      }
      gen.records.push([Number(key.slice(16)), value.map((id) => options.hash(id))]);
      gen.ids += value.length;
    }
    const gens = found.map(({ start, ids, records }) => {
      // Read newest first: the last record has the smallest sequence number.
      const gen = generation(start, ids, records[records.length - 1]?.[0]);
      for (const [seq, hashes] of records) remember(gen, seq, hashes);
      return gen;
    });
    if (gens.length === 2) await section.clear({ lt: gens[1]!.prefix });
    return new DedupeIndex(section, options, gens[0] ?? generation(now), gens[1]);
  }

  /** Ids remembered in both generations. */
  get size(): number {
    return this.current.ids + (this.previous?.ids ?? 0);
  }

  /**
   * Which of `ids` were seen (`hashes` are theirs), from memory and the records in
   * `stored`. Final when `unread` is empty; otherwise `read` those records and look up
   * again. Synchronous, so that nothing changes between the verdict and acting on it.
   */
  lookup(ids: readonly string[], hashes: readonly number[], now = Date.now(), stored?: StoredRecords): DedupeVerdict {
    this.rotateIfDue(now)?.catch(this.options.onPruneError);
    const seen = this.repeats.mark(ids, hashes);
    const found = { unread: [] as string[], inFlight: false, stored };
    for (let i = 0; i < ids.length; i++) {
      if (seen[i]) continue;
      const id = ids[i]!;
      seen[i] = this.probe(this.current, id, hashes[i]!, found)
        || (this.previous !== undefined && this.probe(this.previous, id, hashes[i]!, found));
    }
    return { seen, inFlight: found.inFlight, unread: found.unread };
  }

  /** Reads records a lookup asked for (only on a hash hit: a retried transaction, or a collision). */
  async read(keys: readonly string[], stored: StoredRecords = new Map()): Promise<StoredRecords> {
    const values = await this.section.getMany([...keys]);
    keys.forEach((key, i) => stored.set(key, values[i]));
    return stored;
  }

  /**
   * Adds a transaction's new ids to the current generation; the returned op writes their
   * record, and until `settled(key)` they are confirmed in memory.
   */
  remember(seq: number, ids: readonly string[], hashes: readonly number[]): { op: WriteOp; key: string } {
    const key = this.current.prefix + seqKey(seq);
    remember(this.current, seq, hashes);
    this.inFlight.set(key, ids);
    return { op: put(this.section, key, ids), key };
  }

  /**
   * The record is durable, or its write failed: either way reads tell the truth now (a
   * failed record's hashes stay in the table; a hit on them reads nothing, confirms nothing).
   */
  settled(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * Starts a new generation when the current one is full or old; resolves when the
   * records of the one dropped are deleted.
   */
  rotateIfDue(now = Date.now()): Promise<void> | undefined {
    const current = this.current;
    if (now - current.start < this.options.windowMs && current.ids * 2 < this.options.maxIds) return undefined;
    this.previous = current;
    this.current = generation(Math.max(now, current.start + 1), Math.min(current.ids, this.options.maxIds / 2));
    return this.section.clear({ lt: current.prefix });
  }

  /** Whether `gen` confirms `id`; records it would have to read go to `found.unread`. */
  private probe(gen: Generation, id: string, hash: number, found: { unread: string[]; inFlight: boolean; stored: StoredRecords | undefined }): boolean {
    const seqs = this.found;
    const count = gen.table.collect(hash, seqs);
    for (let i = 0; i < count; i++) {
      const key = gen.prefix + seqKey(gen.base! + seqs[i]!);
      const flying = this.inFlight.get(key);
      if (flying) {
        if (flying.includes(id)) return (found.inFlight = true);
      } else if (!found.stored?.has(key)) {
        if (!found.unread.includes(key)) found.unread.push(key);
      } else if (found.stored.get(key)?.includes(id)) {
        return true;
      }
    }
    return false;
  }
}

/**
 * Which ids of a list appear earlier in it, found by their hashes in a reused scratch table
 * (a transaction's ids are nearly always distinct: a `Set` of the strings cost more than
 * the rest of the lookup). Equal hashes are confirmed by comparing the ids.
 */
class RepeatFinder {
  /** Slot: hash + 1 (0: empty); `at`: the index of the first id with that hash there. */
  private keys = new Float64Array(128);
  private at = new Int32Array(128);
  /** The slots filled by the last list, emptied again at the end (the table may be large). */
  private filled = new Int32Array(64);

  mark(ids: readonly string[], hashes: readonly number[]): boolean[] {
    const seen = new Array<boolean>(ids.length).fill(false);
    if (ids.length < 2) return seen;
    if (this.keys.length < ids.length * 2) {
      let size = this.keys.length;
      while (size < ids.length * 2) size *= 2;
      this.keys = new Float64Array(size);
      this.at = new Int32Array(size);
      this.filled = new Int32Array(size / 2);
    }
    const { keys, at, filled } = this;
    const mask = keys.length - 1;
    let count = 0;
    for (let i = 0; i < ids.length; i++) {
      const key = hashes[i]! + 1;
      let slot = key & mask;
      for (; keys[slot] !== 0; slot = (slot + 1) & mask) {
        if (keys[slot] === key && ids[at[slot]!] === ids[i]) {
          seen[i] = true;
          break;
        }
      }
      if (!seen[i] && keys[slot] === 0) {
        keys[slot] = key;
        at[slot] = i;
        filled[count++] = slot;
      }
    }
    for (let i = 0; i < count; i++) keys[filled[i]!] = 0;
    return seen;
  }
}

/**
 * Ephemeral and to-device items carry no id. They are known by their transaction and
 * content: a retried txnId repeats them (not delivered twice), a txnId reused by a
 * restarted homeserver brings new content (delivered).
 */
export function ephemeralId(txnId: string, item: unknown): string {
  return `txn!${txnId}!${hash('sha256', stringifyJson(item), 'base64url').slice(0, 22)}`;
}
