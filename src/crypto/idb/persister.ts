import { deserialize, serialize } from 'node:v8';
import { IDBKeyRange } from 'fake-indexeddb';
import type { Section, Store, WriteOp } from '../../store/index.js';
import { watchDatabases, type CapturedOp } from './capture.js';
import { encodeKey } from './idb-key.js';
import type { IdbDatabase, IdbFactory, IdbKey, IdbKeyRangeLike } from './idb-types.js';

interface StoreSchema {
  keyPath: string | string[] | null;
  autoIncrement: boolean;
  indexes: Record<string, { keyPath: string | string[]; unique: boolean; multiEntry: boolean }>;
}

/** What a database looked like after its last committed version change. */
interface DatabaseSchema {
  version: number;
  stores: Record<string, StoreSchema>;
}

export interface PersisterSections {
  /** database name (without the instance prefix) → its schema. */
  readonly schemas: Section<DatabaseSchema>;
  /** `<database>\0<object store>\0<canonical key>` → [key length, v8 key, v8 value]. */
  readonly records: Section<Buffer>;
}

const SEP = '\u0000';

function recordKey(db: string, store: string, key: string): string {
  return `${db}${SEP}${store}${SEP}${key}`;
}

function encodeRecord(key: IdbKey, value: Buffer): Buffer {
  const k = serialize(key);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(k.length);
  return Buffer.concat([head, k, value]);
}

function decodeRecord(buf: Buffer): { key: IdbKey; value: unknown } {
  const length = buf.readUInt32BE(0);
  return { key: deserialize(buf.subarray(4, 4 + length)) as IdbKey, value: deserialize(buf.subarray(4 + length)) };
}

function isRange(query: IdbKey | IdbKeyRangeLike): query is IdbKeyRangeLike {
  return query instanceof IDBKeyRange;
}

/**
 * Keeps IndexedDB databases (fake-indexeddb, in memory) durable in bridgekit's Level store.
 * `open` writes the stored copy back into IndexedDB under a fresh name prefix; from then
 * on every committed IndexedDB transaction becomes one atomic Level batch, written in
 * commit order. `flushed()` resolves once everything committed so far is on disk:
 * callers wait for it before anything leaves the process (a request to the homeserver, an
 * acknowledged transaction item), so a kill -9 never leaves the homeserver knowing a key
 * that the disk does not.
 */
export class IdbLevelPersister {
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private unwatch: () => void = () => undefined;
  /** database → object store → canonical key → key: what is stored, to resolve deletes by range. */
  private readonly keys = new Map<string, Map<string, Map<string, IdbKey>>>();
  private readonly schemas = new Map<string, DatabaseSchema>();

  private constructor(private readonly store: Store, private readonly sections: PersisterSections, readonly prefix: string) {}

  static async open(store: Store, sections: PersisterSections, factory: IdbFactory, prefix: string): Promise<IdbLevelPersister> {
    const persister = new IdbLevelPersister(store, sections, prefix);
    await persister.restore(factory);
    persister.unwatch = watchDatabases(prefix, {
      committed: (name, version, ops) => persister.committed(name.slice(prefix.length), version, ops),
      broken: (err) => persister.fail(err),
    });
    return persister;
  }

  /** True when a stored copy existed (something was restored). */
  get restored(): boolean {
    return this.schemas.size > 0;
  }

  /** True when a database whose name (without the prefix) starts with `name` was restored. */
  has(name: string): boolean {
    for (const db of this.schemas.keys()) if (db.startsWith(name)) return true;
    return false;
  }

  /** Resolves when every transaction committed so far is written; rejects once a write failed. */
  async flushed(): Promise<void> {
    await this.tail;
    if (this.failure) throw this.failure;
  }

  /** Stops recording; call after the last IndexedDB user closed its connections. */
  close(): Promise<void> {
    this.unwatch();
    return this.flushed();
  }

  private fail(err: unknown): void {
    this.failure ??= new Error(`the crypto store could not be written to disk: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  private keysOf(db: string, store: string): Map<string, IdbKey> {
    let stores = this.keys.get(db);
    if (!stores) this.keys.set(db, stores = new Map());
    let keys = stores.get(store);
    if (!keys) stores.set(store, keys = new Map());
    return keys;
  }

  private committed(db: string, version: number, ops: readonly CapturedOp[]): void {
    const schema = this.schemas.get(db) ?? { version: 0, stores: {} };
    let schemaChanged = schema.version !== version;
    const batch: WriteOp[] = [];
    const records = this.sections.records as Section<unknown>;
    const drop = (store: string, keys: Iterable<string>) => {
      const stored = this.keysOf(db, store);
      for (const key of [...keys]) {
        stored.delete(key);
        batch.push({ type: 'del', section: records, key: recordKey(db, store, key) });
      }
    };
    for (const op of ops) {
      switch (op.kind) {
        case 'put': {
          if (op.key === undefined) break;
          const key = encodeKey(op.key);
          this.keysOf(db, op.store).set(key, op.key);
          batch.push({ type: 'put', section: records, key: recordKey(db, op.store, key), value: encodeRecord(op.key, op.value) });
          break;
        }
        case 'delete': {
          const stored = this.keysOf(db, op.store);
          const query = op.query;
          if (isRange(query)) drop(op.store, [...stored].filter(([, key]) => query.includes(key)).map(([text]) => text));
          else drop(op.store, [encodeKey(query)]);
          break;
        }
        case 'clear':
          drop(op.store, this.keysOf(db, op.store).keys());
          break;
        case 'createStore':
          schema.stores[op.store] = { keyPath: op.keyPath, autoIncrement: op.autoIncrement, indexes: {} };
          schemaChanged = true;
          break;
        case 'deleteStore':
          drop(op.store, this.keysOf(db, op.store).keys());
          delete schema.stores[op.store];
          schemaChanged = true;
          break;
        case 'createIndex':
          schema.stores[op.store]!.indexes[op.index] = { keyPath: op.keyPath, unique: op.unique, multiEntry: op.multiEntry };
          schemaChanged = true;
          break;
        case 'deleteIndex':
          delete schema.stores[op.store]?.indexes[op.index];
          schemaChanged = true;
          break;
      }
    }
    if (schemaChanged) {
      schema.version = version;
      this.schemas.set(db, schema);
      batch.push({ type: 'put', section: this.sections.schemas as Section<unknown>, key: db, value: structuredClone(schema) });
    }
    if (batch.length === 0) return;
    this.tail = this.tail.then(() => this.store.write(batch)).catch((err: unknown) => this.fail(err));
  }

  /** Loads the stored copy into IndexedDB under `prefix`, before anything opens it. */
  private async restore(factory: IdbFactory): Promise<void> {
    const byDb = new Map<string, Array<{ store: string; text: string; key: IdbKey; value: unknown }>>();
    for await (const [key, value] of this.sections.records.iterator()) {
      const first = key.indexOf(SEP);
      const second = key.indexOf(SEP, first + 1);
      const db = key.slice(0, first);
      const store = key.slice(first + 1, second);
      const record = decodeRecord(value);
      let list = byDb.get(db);
      if (!list) byDb.set(db, list = []);
      list.push({ store, text: key.slice(second + 1), ...record });
    }
    for await (const [db, schema] of this.sections.schemas.iterator()) {
      this.schemas.set(db, schema);
      const records = (byDb.get(db) ?? []).filter((r) => schema.stores[r.store]);
      for (const r of records) this.keysOf(db, r.store).set(r.text, r.key);
      await loadDatabase(factory, this.prefix + db, schema, records);
    }
  }
}

function done(target: { addEventListener(type: string, listener: () => void): void }, ok: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    target.addEventListener(ok, () => resolve());
    target.addEventListener('error', () => reject(new Error(`restoring the crypto store: ${what} failed`)));
    target.addEventListener('abort', () => reject(new Error(`restoring the crypto store: ${what} aborted`)));
  });
}

async function loadDatabase(
  factory: IdbFactory, name: string, schema: DatabaseSchema,
  records: ReadonlyArray<{ store: string; key: IdbKey; value: unknown }>,
): Promise<void> {
  const request = factory.open(name, schema.version);
  request.addEventListener('upgradeneeded', () => {
    const db = request.result;
    for (const [storeName, store] of Object.entries(schema.stores)) {
      const created = db.createObjectStore(storeName, { keyPath: store.keyPath, autoIncrement: store.autoIncrement });
      for (const [indexName, index] of Object.entries(store.indexes)) created.createIndex(indexName, index.keyPath, { unique: index.unique, multiEntry: index.multiEntry });
    }
  });
  await done(request, 'success', `opening ${name}`);
  const db: IdbDatabase = request.result;
  const storeNames = Object.keys(schema.stores);
  if (storeNames.length > 0 && records.length > 0) {
    const tx = db.transaction(storeNames, 'readwrite');
    for (const r of records) {
      const store = tx.objectStore(r.store);
      if (store.keyPath === null) store.put(r.value, r.key);
      else store.put(r.value);
    }
    await done(tx, 'complete', `loading ${name}`);
  }
  db.close();
}
