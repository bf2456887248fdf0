import type { DeviceChanges, JsonObject } from './types.js';
import { ShapeError, isObject, requireObject } from './validate.js';

/** MSC3202 transaction keys, unstable names first; a stable name is read when present too. */
const DEVICE_LISTS_KEYS = ['org.matrix.msc3202.device_lists', 'device_lists'] as const;
/** Synapse 1.94 sends both unstable spellings (`keys_count` and `key_counts`) with the same data. */
const OTK_COUNT_KEYS = [
  'org.matrix.msc3202.device_one_time_keys_count',
  'org.matrix.msc3202.device_one_time_key_counts',
  'device_one_time_keys_count',
] as const;
const FALLBACK_KEYS = ['org.matrix.msc3202.device_unused_fallback_key_types', 'device_unused_fallback_key_types'] as const;

function stringList(value: unknown, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ShapeError(path, 'must be an array');
  return value.map((item, i) => {
    if (typeof item !== 'string') throw new ShapeError(`${path}[${i}]`, 'must be a string');
    return item;
  });
}

/** user → device → T, each level an object; `leaf` checks the innermost values. */
function perDevice<T>(value: unknown, path: string, leaf: (value: unknown, path: string) => T): Record<string, Record<string, T>> {
  const out: Record<string, Record<string, T>> = {};
  for (const [user, devices] of Object.entries(requireObject(value, path))) {
    const perUser: Record<string, T> = {};
    for (const [device, data] of Object.entries(requireObject(devices, `${path}.${user}`))) {
      perUser[device] = leaf(data, `${path}.${user}.${device}`);
    }
    out[user] = perUser;
  }
  return out;
}

function counts(value: unknown, path: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [algorithm, count] of Object.entries(requireObject(value, path))) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) throw new ShapeError(`${path}.${algorithm}`, 'must be a count');
    out[algorithm] = count;
  }
  return out;
}

/** The first of `keys` present in `obj` (the others carry the same data). */
function first(obj: JsonObject, keys: readonly string[]): [string, unknown] | undefined {
  for (const key of keys) if (obj[key] !== undefined && obj[key] !== null) return [key, obj[key]];
  return undefined;
}

/**
 * Reads MSC3202's device data from a transaction body; undefined when it carries none
 * (or only empty lists and maps: nothing for the crypto machine to learn). Device lists
 * under both names are merged; counts and fallback types are taken from the first name.
 */
export function parseDeviceChanges(body: JsonObject): DeviceChanges | undefined {
  const changed = new Set<string>();
  const left = new Set<string>();
  for (const key of DEVICE_LISTS_KEYS) {
    const lists = body[key];
    if (lists === undefined || lists === null) continue;
    if (!isObject(lists)) throw new ShapeError(key, 'must be an object');
    for (const user of stringList(lists['changed'], `${key}.changed`)) changed.add(user);
    for (const user of stringList(lists['left'], `${key}.left`)) left.add(user);
  }
  const otk = first(body, OTK_COUNT_KEYS);
  const fallback = first(body, FALLBACK_KEYS);
  const oneTimeKeyCounts = otk && perDevice(otk[1], otk[0], counts);
  const unusedFallbackKeyTypes = fallback && perDevice(fallback[1], fallback[0], stringList);
  const changes: { -readonly [K in keyof DeviceChanges]: DeviceChanges[K] } = {};
  if (changed.size > 0 || left.size > 0) changes.deviceLists = { changed: [...changed], left: [...left] };
  if (oneTimeKeyCounts && Object.keys(oneTimeKeyCounts).length > 0) changes.oneTimeKeyCounts = oneTimeKeyCounts;
  if (unusedFallbackKeyTypes && Object.keys(unusedFallbackKeyTypes).length > 0) changes.unusedFallbackKeyTypes = unusedFallbackKeyTypes;
  return Object.keys(changes).length > 0 ? changes : undefined;
}
