import type { IdbFactory } from './idb-types.js';

/**
 * The IndexedDB the crypto machine finds as `globalThis.indexedDB` (its Rust bindings
 * look there, and check objects against the global IDB* classes): fake-indexeddb's,
 * installed once per process when Node has none. Databases are told apart by a name
 * prefix per running bridge.
 */
export async function installIndexedDb(): Promise<IdbFactory> {
  const global = globalThis as { indexedDB?: unknown };
  if (global.indexedDB === undefined) await import('fake-indexeddb/auto');
  return global.indexedDB as IdbFactory;
}
