import { serialize } from 'node:v8';
import { IDBCursor, IDBDatabase, IDBFactory, IDBObjectStore } from 'fake-indexeddb';
import type { IdbCursor, IdbDatabase, IdbKey, IdbKeyRangeLike, IdbObjectStore, IdbOpenRequest, IdbRequest, IdbTransaction } from './idb-types.js';

/** One change made inside an IndexedDB transaction, in the order it was made. */
export type CapturedOp =
  | { readonly kind: 'put'; readonly store: string; readonly value: Buffer; key?: IdbKey; done: boolean }
  | { readonly kind: 'delete'; readonly store: string; readonly query: IdbKey | IdbKeyRangeLike; done: boolean }
  | { readonly kind: 'clear'; readonly store: string; done: boolean }
  | { readonly kind: 'createStore'; readonly store: string; readonly keyPath: string | string[] | null; readonly autoIncrement: boolean; done: boolean }
  | { readonly kind: 'deleteStore'; readonly store: string; done: boolean }
  | { readonly kind: 'createIndex'; readonly store: string; readonly index: string; readonly keyPath: string | string[]; readonly unique: boolean; readonly multiEntry: boolean; done: boolean }
  | { readonly kind: 'deleteIndex'; readonly store: string; readonly index: string; done: boolean };

/** Told of every committed transaction of the databases it watches. */
export interface CaptureSink {
  /** Called from the transaction's `complete` event; `ops` holds only changes that succeeded. */
  committed(dbName: string, version: number, ops: readonly CapturedOp[]): void;
  /** A value could not be captured: the persisted copy would be wrong from here on. */
  broken(err: unknown): void;
}

const sinks = new Map<string, CaptureSink>();
const pending = new WeakMap<IdbTransaction, CapturedOp[]>();
const upgrades = new WeakMap<IdbDatabase, IdbTransaction>();

/** Watches every database whose name starts with `prefix` until the returned function is called. */
export function watchDatabases(prefix: string, sink: CaptureSink): () => void {
  installHooks();
  sinks.set(prefix, sink);
  return () => { sinks.delete(prefix); };
}

function sinkFor(dbName: string): CaptureSink | undefined {
  for (const [prefix, sink] of sinks) if (dbName.startsWith(prefix)) return sink;
  return undefined;
}

/** The op list of `tx`, made (with its commit and abort listeners) on the first change. */
function opsOf(tx: IdbTransaction): CapturedOp[] | undefined {
  let ops = pending.get(tx);
  if (ops) return ops;
  const sink = sinkFor(tx.db.name);
  if (!sink) return undefined;
  ops = [];
  pending.set(tx, ops);
  const list = ops;
  tx.addEventListener('complete', () => sink.committed(tx.db.name, tx.db.version, list.filter((op) => op.done)));
  // An aborted transaction changed nothing: its ops are forgotten with it.
  tx.addEventListener('abort', () => { list.length = 0; });
  return ops;
}

function record(tx: IdbTransaction, op: CapturedOp, request?: IdbRequest): void {
  const ops = opsOf(tx);
  if (!ops) return;
  ops.push(op);
  if (!request) return;
  request.addEventListener('success', () => {
    if (op.kind === 'put') op.key = request.result as IdbKey;
    op.done = true;
  });
}

/** Serializes a value as IndexedDB would clone it; a failure marks the persistence broken. */
function capturedValue(tx: IdbTransaction, value: unknown): Buffer | undefined {
  if (!sinkFor(tx.db.name)) return undefined;
  try {
    return serialize(value);
  } catch (err) {
    sinkFor(tx.db.name)?.broken(err);
    return undefined;
  }
}

type Method<T> = (this: T, ...args: never[]) => unknown;

function wrap<T>(proto: object, name: string, after: (self: T, args: unknown[], result: unknown, before: unknown) => void, before?: (self: T, args: unknown[]) => unknown): void {
  const target = proto as Record<string, Method<T>>;
  const original = target[name]!;
  target[name] = function (this: T, ...args: never[]) {
    const early = before?.(this, args);
    const result = original.apply(this, args);
    after(this, args, result, early);
    return result;
  };
}

let installed = false;

/**
 * Wraps fake-indexeddb's mutating methods (once per process) so that each change is
 * recorded with its transaction: values are serialized when written (IndexedDB clones
 * them at that moment too), keys taken from each request's result.
 */
function installHooks(): void {
  if (installed) return;
  installed = true;
  const storeProto = IDBObjectStore.prototype as object;
  for (const name of ['put', 'add']) {
    wrap<IdbObjectStore>(storeProto, name, (self, _args, request, value) => {
      if (value instanceof Buffer) record(self.transaction, { kind: 'put', store: self.name, value, done: false }, request as IdbRequest);
    }, (self, args) => capturedValue(self.transaction, args[0]));
  }
  wrap<IdbObjectStore>(storeProto, 'delete', (self, args, request) =>
    record(self.transaction, { kind: 'delete', store: self.name, query: args[0] as IdbKey, done: false }, request as IdbRequest));
  wrap<IdbObjectStore>(storeProto, 'clear', (self, _args, request) =>
    record(self.transaction, { kind: 'clear', store: self.name, done: false }, request as IdbRequest));
  wrap<IdbObjectStore>(storeProto, 'createIndex', (self, args) => {
    const options = (args[2] ?? {}) as { unique?: boolean; multiEntry?: boolean };
    record(self.transaction, {
      kind: 'createIndex', store: self.name, index: args[0] as string, keyPath: args[1] as string | string[],
      unique: options.unique ?? false, multiEntry: options.multiEntry ?? false, done: true,
    });
  });
  wrap<IdbObjectStore>(storeProto, 'deleteIndex', (self, args) =>
    record(self.transaction, { kind: 'deleteIndex', store: self.name, index: args[0] as string, done: true }));

  const dbProto = IDBDatabase.prototype as object;
  wrap<IdbDatabase>(dbProto, 'createObjectStore', (_self, args, store) => {
    const created = store as IdbObjectStore;
    record(created.transaction, { kind: 'createStore', store: args[0] as string, keyPath: created.keyPath, autoIncrement: created.autoIncrement, done: true });
  });
  wrap<IdbDatabase>(dbProto, 'deleteObjectStore', (self, args) => {
    const tx = upgrades.get(self);
    if (tx) record(tx, { kind: 'deleteStore', store: args[0] as string, done: true });
  });

  const cursorProto = IDBCursor.prototype as object;
  wrap<IdbCursor>(cursorProto, 'update', (self, _args, request, value) => {
    const store = storeOfCursor(self);
    if (value instanceof Buffer) record(store.transaction, { kind: 'put', store: store.name, value, done: false }, request as IdbRequest);
  }, (self, args) => capturedValue(storeOfCursor(self).transaction, args[0]));
  wrap<IdbCursor>(cursorProto, 'delete', (self, _args, request, key) => {
    const store = storeOfCursor(self);
    record(store.transaction, { kind: 'delete', store: store.name, query: key as IdbKey, done: false }, request as IdbRequest);
  }, (self) => self.primaryKey);

  // A version change with no other change still moves the version: its transaction is
  // watched from the start, and deleteObjectStore (which returns nothing) finds it here.
  wrap<unknown>(IDBFactory.prototype as object, 'open', (_self, _args, result) => {
    const request = result as IdbOpenRequest;
    request.addEventListener('upgradeneeded', () => {
      if (!request.transaction) return;
      upgrades.set(request.result, request.transaction);
      opsOf(request.transaction);
    });
  });
}

function storeOfCursor(cursor: IdbCursor): IdbObjectStore {
  const source = cursor.source;
  return 'objectStore' in source ? source.objectStore : source;
}
