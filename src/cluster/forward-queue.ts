import { randomBytes } from 'node:crypto';
import { seqKey } from '../inbox/entries.js';
import { del, put, Sections, type Section, type Store, type WriteOp } from '../store/index.js';

/** A forwarded message waiting in the store for its connection's holder. */
export interface ForwardRecord {
  /** The message, as JSON. */
  readonly m: unknown;
  /** When it was sent (ms). */
  readonly at: number;
  /** The process that sent it (cluster mode), for the logs. */
  readonly from?: string;
}

/** One waiting message: its store key (lease key and order) and record. */
export interface QueuedForward {
  readonly key: string;
  readonly record: ForwardRecord;
}

/** A message given up: why, after how many tries. */
export interface DeadForward extends ForwardRecord {
  readonly failedAt: number;
  readonly attempts: number;
  readonly error: string;
}

/** Between the lease key and the order: sorts below every character a key may hold. */
const SEP = '\u0000';
const AFTER_SEP = '\u0001';

/** The store key of a message for `leaseKey`; `order` sorts the connection's messages. */
export function forwardKey(leaseKey: string, order: string): string {
  return `${leaseKey}${SEP}${order}`;
}

export function leaseKeyOf(key: string): string {
  return key.slice(0, key.indexOf(SEP));
}

/**
 * A handler's n-th message: ordered by its item's sequence number (journal order: per room,
 * the homeserver's), and the same on a retry and in another process, so that a retried
 * handler writes the same key again rather than a second message.
 */
export function handlerOrder(seq: number, n: number): string {
  return `h${seqKey(seq)}.${String(n).padStart(4, '0')}`;
}

/** This process's last direct order: the next is always after it, even within one millisecond. */
let lastDirect = { ms: 0, n: 0 };
/** Tells this process's direct orders apart from another's made in the same millisecond. */
const PROCESS_TAG = randomBytes(4).toString('hex');

/**
 * A message sent outside handlers: by time, after any handler's waiting message; in this
 * process strictly in the order sent (a counter within the millisecond).
 */
export function directOrder(now = Date.now()): string {
  const ms = Math.max(now, lastDirect.ms);
  lastDirect = { ms, n: ms === lastDirect.ms ? lastDirect.n + 1 : 0 };
  return `t${String(ms).padStart(15, '0')}.${String(lastDirect.n).padStart(6, '0')}.${PROCESS_TAG}`;
}

/** The store's messages waiting for leased connections, and those given up. */
export class ForwardQueue {
  readonly section: Section<ForwardRecord>;
  private readonly dead: Section<DeadForward>;

  constructor(private readonly store: Store) {
    this.section = store.section<ForwardRecord>(Sections.forwards);
    this.dead = store.section<DeadForward>(Sections.forwardDeadLetters);
  }

  /** The section's key prefix as stored (for the cluster's wake-up on commit). */
  get prefix(): string {
    return this.section.prefix;
  }

  putOp(key: string, record: ForwardRecord): WriteOp {
    return put(this.section, key, record);
  }

  async put(key: string, record: ForwardRecord): Promise<void> {
    await this.store.write([this.putOp(key, record)]);
  }

  /** The first `limit` messages waiting for `leaseKey`, in order. */
  async first(leaseKey: string, limit: number): Promise<QueuedForward[]> {
    const found: QueuedForward[] = [];
    for await (const [key, record] of this.section.iterator({ gte: `${leaseKey}${SEP}`, lt: `${leaseKey}${AFTER_SEP}`, limit })) {
      found.push({ key, record });
    }
    return found;
  }

  /** The lease keys with messages waiting (one read per key: skips from one key's messages to the next's). */
  async waitingKeys(max = 1_000): Promise<string[]> {
    const keys: string[] = [];
    let from = '';
    while (keys.length < max) {
      let next: string | undefined;
      for await (const key of this.section.keys({ gte: from, limit: 1 })) next = key;
      if (next === undefined) break;
      const lease = leaseKeyOf(next);
      keys.push(lease);
      from = `${lease}${AFTER_SEP}`;
    }
    return keys;
  }

  async isEmpty(leaseKey: string): Promise<boolean> {
    return (await this.first(leaseKey, 1)).length === 0;
  }

  /** Delivered: gone (a fenced write in cluster mode, like every write). */
  async delivered(key: string): Promise<void> {
    await this.store.write([del(this.section, key)]);
  }

  /** Given up: moved to the dead letters in one write. */
  async giveUp(entry: QueuedForward, attempts: number, error: string): Promise<void> {
    const letter: DeadForward = { ...entry.record, failedAt: Date.now(), attempts, error };
    await this.store.write([put(this.dead, entry.key, letter), del(this.section, entry.key)]);
  }

  /** Every message waiting, per lease key: how many and the oldest's time (for `doctor` and tests). */
  async backlog(): Promise<Map<string, { count: number; oldest: number }>> {
    const out = new Map<string, { count: number; oldest: number }>();
    for await (const [key, record] of this.section.iterator()) {
      const lease = leaseKeyOf(key);
      const seen = out.get(lease);
      out.set(lease, { count: (seen?.count ?? 0) + 1, oldest: Math.min(seen?.oldest ?? Infinity, record.at) });
    }
    return out;
  }

  async deadLetters(): Promise<Array<{ key: string; letter: DeadForward }>> {
    const out: Array<{ key: string; letter: DeadForward }> = [];
    for await (const [key, letter] of this.dead.iterator()) out.push({ key, letter });
    return out;
  }
}
