import type { JournalAck, Store } from '../store/index.js';

export interface AckBatcherHooks {
  /** Acknowledgements are durable: the lanes of their items, one per item. */
  readonly durable: (lanes: readonly string[]) => void;
  /** Writing `count` acknowledgements failed; they are written again after a pause. */
  readonly failed: (err: unknown, count: number) => void;
}

const RETRY_MS = 1_000;

/**
 * Acknowledgements of items whose handlers wrote nothing: gathered for a turn of the event
 * loop and written together (the store groups them further with other writes). A failed
 * write is tried again until it lands: until then the item is unhandled in the journal,
 * and another process taking the lane over would handle it again.
 */
export class AckBatcher {
  private pending: JournalAck[] = [];
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly store: Store, private readonly hooks: AckBatcherHooks) {}

  add(seq: number, lane: string): void {
    this.pending.push({ lane, seq });
    if (this.scheduled || this.retryTimer) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.writing = this.writing.then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    const acks = this.pending;
    if (acks.length === 0) return;
    this.pending = [];
    try {
      await this.store.write([], { acks });
      this.hooks.durable(acks.map((a) => a.lane));
    } catch (err) {
      this.pending = acks.concat(this.pending);
      this.hooks.failed(err, acks.length);
      if (!this.closed) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.writing = this.writing.then(() => this.flush());
        }, RETRY_MS);
      }
    }
  }

  /** Writes what is gathered (one last try) and stops retrying. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.writing;
    await this.flush();
  }
}
