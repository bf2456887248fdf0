/**
 * The parts of the IndexedDB API the persistence layer touches, typed here because the
 * project compiles without the DOM library. fake-indexeddb implements them.
 */
export type IdbKey = number | string | Date | ArrayBuffer | ArrayBufferView | IdbKey[];

export interface IdbEventTarget {
  addEventListener(type: string, listener: () => void): void;
}

export interface IdbRequest<T = unknown> extends IdbEventTarget {
  readonly result: T;
  readonly error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

export interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
  readonly transaction: IdbTransaction | null;
}

export interface IdbDatabase {
  readonly name: string;
  readonly version: number;
  createObjectStore(name: string, options?: { keyPath?: string | string[] | null; autoIncrement?: boolean }): IdbObjectStore;
  transaction(stores: string[], mode: 'readonly' | 'readwrite'): IdbTransaction;
  close(): void;
}

export interface IdbTransaction extends IdbEventTarget {
  readonly db: IdbDatabase;
  readonly mode: string;
  objectStore(name: string): IdbObjectStore;
}

export interface IdbObjectStore {
  readonly name: string;
  readonly keyPath: string | string[] | null;
  readonly autoIncrement: boolean;
  readonly transaction: IdbTransaction;
  put(value: unknown, key?: IdbKey): IdbRequest<IdbKey>;
  createIndex(name: string, keyPath: string | string[], options?: { unique?: boolean; multiEntry?: boolean }): unknown;
}

export interface IdbKeyRangeLike {
  readonly lowerOpen: boolean;
  includes(key: IdbKey): boolean;
}

export interface IdbCursor {
  readonly source: IdbObjectStore | { readonly objectStore: IdbObjectStore };
  readonly primaryKey: IdbKey;
}

export interface IdbFactory {
  open(name: string, version?: number): IdbOpenRequest;
}
