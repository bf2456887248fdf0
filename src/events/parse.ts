import { stringifyJson } from '../json/index.js';
import type { EphemeralEvent, RoomEvent, ToDeviceMessage, Transaction } from './types.js';
import {
  ShapeError, isObject, optionalArray, optionalString, requireId, requireObject, requireString,
} from './validate.js';
import { parseDeviceChanges } from './device-changes.js';

/**
 * Validates one room event in place and returns it typed. The object is not copied:
 * legacy top-level fields Synapse still sends (`age`, `user_id`, `prev_content`,
 * `replaces_state`, `invite_room_state`) are kept, unknown fields are allowed.
 */
export function parseRoomEvent(value: unknown, path = 'event'): RoomEvent {
  const obj = requireObject(value, path);
  requireString(obj, 'type', path);
  requireId(obj, 'event_id', '$', path);
  requireId(obj, 'room_id', '!', path);
  requireId(obj, 'sender', '@', path);
  if (typeof obj['origin_server_ts'] !== 'number' || !Number.isFinite(obj['origin_server_ts'])) {
    throw new ShapeError(`${path}.origin_server_ts`, 'must be a number');
  }
  requireObject(obj['content'], `${path}.content`);
  optionalString(obj, 'state_key', path);
  optionalString(obj, 'redacts', path);
  if (obj['unsigned'] !== undefined && !isObject(obj['unsigned'])) {
    throw new ShapeError(`${path}.unsigned`, 'must be an object');
  }
  return obj as unknown as RoomEvent;
}

export function parseEphemeralEvent(value: unknown, path: string): EphemeralEvent {
  const obj = requireObject(value, path);
  requireString(obj, 'type', path);
  requireObject(obj['content'], `${path}.content`);
  optionalString(obj, 'room_id', path);
  optionalString(obj, 'sender', path);
  return obj as unknown as EphemeralEvent;
}

export function parseToDeviceMessage(value: unknown, path: string): ToDeviceMessage {
  const obj = requireObject(value, path);
  requireString(obj, 'type', path);
  requireString(obj, 'sender', path);
  requireString(obj, 'to_user_id', path);
  requireString(obj, 'to_device_id', path);
  requireObject(obj['content'], `${path}.content`);
  return obj as unknown as ToDeviceMessage;
}

const EPHEMERAL_KEYS = ['ephemeral', 'de.sorunome.msc2409.ephemeral'] as const;
const TO_DEVICE_KEYS = ['to_device', 'de.sorunome.msc2409.to_device'] as const;

/**
 * Validates a transaction body (`PUT /transactions/{txnId}`). Ephemeral and to-device
 * data are read from both the stable and the MSC2409 unstable keys; a homeserver that
 * sends both gets each item once. MSC3202 device data, when present, becomes `deviceChanges`.
 */
export function parseTransaction(body: unknown): Transaction {
  const obj = requireObject(body, 'body');
  if (!Array.isArray(obj['events'])) throw new ShapeError('events', 'must be an array');
  const events = obj['events'].map((e, i) => parseRoomEvent(e, `events[${i}]`));
  const ephemeral = collect(obj, EPHEMERAL_KEYS, parseEphemeralEvent);
  const toDevice = collect(obj, TO_DEVICE_KEYS, parseToDeviceMessage);
  const deviceChanges = parseDeviceChanges(obj);
  return deviceChanges ? { events, ephemeral, toDevice, deviceChanges } : { events, ephemeral, toDevice };
}

function collect<T>(
  obj: Record<string, unknown>,
  keys: readonly string[],
  parse: (value: unknown, path: string) => T,
): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    optionalArray(obj, key, 'body').forEach((item, i) => {
      const parsed = parse(item, `${key}[${i}]`);
      // The same item under both keys is one item, not two. stringifyJson: any depth is
      // written (JSON.stringify throws past a few thousand levels, and that was a 500).
      const fingerprint = stringifyJson(item);
      if (seen.has(fingerprint)) return;
      seen.add(fingerprint);
      out.push(parsed);
    });
  }
  return out;
}
