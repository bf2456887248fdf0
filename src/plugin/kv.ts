import type { Section } from '../store/index.js';
import type { UnitOfWork } from '../inbox/index.js';

/** A plugin's own key-value data, JSON values. */
export interface KeyValue {
  get<V>(key: string): Promise<V | undefined>;
  put<V>(key: string, value: V): Promise<void>;
  del(key: string): Promise<void>;
  /** Entries whose key starts with `prefix`, in key order. */
  entries<V>(prefix?: string): AsyncGenerator<[string, V]>;
}

function range(prefix: string) {
  return prefix ? { gte: prefix, lt: `${prefix}\uffff` } : {};
}

/** Writes straight to the store: for use outside event handlers. */
export class DirectKeyValue implements KeyValue {
  constructor(private readonly section: Section<unknown>) {}

  async get<V>(key: string): Promise<V | undefined> {
    return (await this.section.get(key)) as V | undefined;
  }

  async put<V>(key: string, value: V): Promise<void> {
    await this.section.put(key, value);
  }

  async del(key: string): Promise<void> {
    await this.section.del(key);
  }

  async *entries<V>(prefix = ''): AsyncGenerator<[string, V]> {
    for await (const [key, value] of this.section.iterator(range(prefix))) yield [key, value as V];
  }
}

const DELETED = Symbol('deleted');

/**
 * Buffers writes in the event's unit of work, committed with its acknowledgement; reads
 * see the buffered writes first, so a handler reads its own writes.
 */
export class TransactionalKeyValue implements KeyValue {
  private readonly overlay = new Map<string, unknown>();

  constructor(private readonly section: Section<unknown>, private readonly work: UnitOfWork) {}

  async get<V>(key: string): Promise<V | undefined> {
    if (this.overlay.has(key)) {
      const value = this.overlay.get(key);
      return value === DELETED ? undefined : (value as V);
    }
    return (await this.section.get(key)) as V | undefined;
  }

  async put<V>(key: string, value: V): Promise<void> {
    this.overlay.set(key, value);
    this.work.put(this.section, key, value);
  }

  async del(key: string): Promise<void> {
    this.overlay.set(key, DELETED);
    this.work.del(this.section, key);
  }

  async *entries<V>(prefix = ''): AsyncGenerator<[string, V]> {
    const merged = new Map<string, unknown>();
    for await (const [key, value] of this.section.iterator(range(prefix))) merged.set(key, value);
    for (const [key, value] of this.overlay) if (key.startsWith(prefix)) merged.set(key, value);
    for (const key of [...merged.keys()].sort()) {
      const value = merged.get(key);
      if (value !== DELETED) yield [key, value as V];
    }
  }
}
