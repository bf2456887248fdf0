import type { IdbKey } from './idb-types.js';

/**
 * A canonical text form of an IndexedDB key: two keys IndexedDB calls equal (a binary key
 * as ArrayBuffer or as a view of the same bytes, say) get the same text. Used as the
 * Level key of a record and to find records again when one is deleted.
 */
export function encodeKey(key: IdbKey): string {
  if (typeof key === 'number') return `n${key}`;
  if (typeof key === 'string') return `s${JSON.stringify(key)}`;
  if (key instanceof Date) return `d${key.getTime()}`;
  if (Array.isArray(key)) return `a[${key.map(encodeKey).join(',')}]`;
  if (key instanceof ArrayBuffer) return `b${Buffer.from(key).toString('hex')}`;
  if (ArrayBuffer.isView(key)) return `b${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')}`;
  throw new TypeError('not an IndexedDB key');
}
