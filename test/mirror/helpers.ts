import type { JsonObject, RoomEvent } from '../../src/events/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { MemoryRoomState } from '../../src/mirror/memory-state.js';
import { Mirror, type MirrorOptions } from '../../src/mirror/mirror.js';
import type { Membership } from '../../src/mirror/auth/types.js';
import { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp.js';

let counter = 0;

/** A room event with a fresh event ID. */
export function ev(roomId: string, type: string, sender: string, content: JsonObject, stateKey?: string, extra: JsonObject = {}): RoomEvent {
  counter += 1;
  return {
    type, sender, content, room_id: roomId, event_id: `$e${counter}:${sender.split(':')[1] ?? 'x'}`,
    origin_server_ts: 1_700_000_000_000 + counter,
    ...(stateKey !== undefined ? { state_key: stateKey } : {}),
    ...extra,
  } as RoomEvent;
}

export const ALICE = '@alice:a';   // creator
export const MOD = '@mod:a';       // 50
export const BOB = '@bob:b';       // joined, 0
export const CAROL = '@carol:c';   // invited
export const DAVE = '@dave:d';     // banned
export const ERIN = '@erin:e';     // knocking (v7+)
export const FRANK = '@frank:f';   // no membership

export interface RoomSpec {
  readonly version: string;
  /** Power levels content; null for a room without an m.room.power_levels event. */
  readonly powerLevels?: JsonObject | null;
  readonly joinRule?: string | JsonObject;
  readonly members?: Readonly<Record<string, Membership>>;
  readonly createExtra?: JsonObject;
  readonly extraState?: readonly RoomEvent[];
}

/** The standard cast: alice creator (100, or infinite in v12), mod 50, bob 0, carol invited, dave banned, erin knocking. */
export function standardPowerLevels(version: string, overrides: JsonObject = {}): JsonObject {
  const users: JsonObject = { [MOD]: 50 };
  if (version !== '12') users[ALICE] = 100;
  return { users, ...overrides };
}

export function buildRoom(spec: RoomSpec): MemoryRoomState {
  const roomId = spec.version === '12' ? '!hashOfCreate' : '!room:a';
  const createContent: JsonObject = { room_version: spec.version, ...(Number(spec.version) <= 10 ? { creator: ALICE } : {}), ...spec.createExtra };
  const events: RoomEvent[] = [ev(roomId, 'm.room.create', ALICE, createContent, '')];
  events.push(ev(roomId, 'm.room.member', ALICE, { membership: 'join' }, ALICE));
  const pl = spec.powerLevels === undefined ? standardPowerLevels(spec.version) : spec.powerLevels;
  if (pl !== null) events.push(ev(roomId, 'm.room.power_levels', ALICE, pl, ''));
  const joinRule = spec.joinRule ?? 'invite';
  events.push(ev(roomId, 'm.room.join_rules', ALICE, typeof joinRule === 'string' ? { join_rule: joinRule } : joinRule, ''));
  const knocking = Number(spec.version) >= 7;
  const members: Record<string, Membership> = spec.members
    ? { ...spec.members }
    : { [MOD]: 'join', [BOB]: 'join', [CAROL]: 'invite', [DAVE]: 'ban', ...(knocking ? { [ERIN]: 'knock' as const } : {}) };
  for (const [user, membership] of Object.entries(members)) {
    events.push(ev(roomId, 'm.room.member', membership === 'join' || membership === 'knock' ? user : ALICE, { membership }, user));
  }
  events.push(...(spec.extraState ?? []));
  return new MemoryRoomState(events);
}

/** A mirror over a fresh store in a temporary directory. */
export async function tempMirror(options: Partial<Omit<MirrorOptions, 'store' | 'logger'>> = {}, path?: string) {
  const dir = path ? undefined : await tempDir('bridgekit-mirror-');
  const location = path ?? dir!.path;
  const store = await Store.open(location);
  const mirror = new Mirror({ store, logger: silentLogger(), ...options });
  return {
    mirror, store, path: location,
    async close() { await mirror.close(); await store.close(); },
    async cleanup() { await mirror.close(); await store.close(); await dir?.cleanup(); },
  };
}

/** Makes the store's next batch fail with `error` (after `meanwhile`, run while the batch is on its way); later batches go through. */
export function failNextBatch(store: Store, error: Error, meanwhile: () => void = () => undefined): void {
  const batch = store.db.batch.bind(store.db);
  let fail = true;
  store.db.batch = ((...args: Parameters<typeof batch>) => {
    if (!fail) return batch(...args);
    fail = false;
    meanwhile();
    return Promise.reject(error);
  }) as typeof store.db.batch;
}
