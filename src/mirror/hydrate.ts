import type { RoomEvent, StateEvent } from '../events/types.js';
import { stringifyJson } from '../json/index.js';
import { isObject } from '../events/validate.js';
import type { Logger } from '../log/logger.js';
import type { RawPut } from '../store/index.js';
import type { Membership } from './auth/types.js';
import { emptyRecord, eventKeyOf, isSummaryState, stateKeyOf, type RoomRecord } from './layout.js';
import { membershipOfEvent, toStored, type MirrorStore } from './mirror-store.js';

/**
 * Bulk writes go to the root database (`Store.rawBatch`) with keys already prefixed for the
 * section and values already in JSON — byte for byte what the section itself would write —
 * because the per-operation work of sublevel batches dominated hydrating large rooms.
 */
function rawPut(key: string, value: unknown): RawPut {
  return { type: 'put', key, value: stringifyJson(value), valueEncoding: 'utf8' };
}

/** Writes per batch while hydrating: large enough to be fast, small enough to bound memory. */
const BATCH_OPS = 5_000;

/**
 * Replaces everything the mirror holds about a room with a full state fetched from the
 * homeserver: one write per state event, and the room record last, so a crash midway
 * leaves the room unhydrated and it is fetched again. A state that fits one batch with its
 * event index (most rooms) is written in one atomic batch, record included, and is indexed
 * at once: one Level call instead of three, plus the record's later re-write. A larger one
 * leaves the index to `writeEventIndex` (run in the background) and says so (`indexed: false`).
 * `recordOnDisk: false` (the caller read no record for the room) skips deleting it.
 */
export async function writeFullState(
  ms: MirrorStore, roomId: string, events: readonly StateEvent[], logger: Logger, { recordOnDisk = true } = {},
): Promise<RoomRecord> {
  await ms.clearRoomState(roomId, { recordOnDisk });
  // A fetched state is a map: one event per (type, state key), so every event counts once.
  const counts: Record<Membership, number> = { ...emptyRecord(true).counts };
  const withIndex = events.length * 2 + 1 <= BATCH_OPS;
  let batch: RawPut[] = [];
  let pending: Promise<void> = Promise.resolve();
  for (const event of events) {
    if (event.type === 'm.room.member') {
      const membership = membershipOfEvent(event);
      if (membership !== undefined) counts[membership] += 1;
    }
    batch.push(rawPut(ms.state.prefixKey(stateKeyOf(roomId, event.type, event.state_key), 'utf8'), toStored(event)));
    if (withIndex) batch.push(indexPut(ms, roomId, event));
    if (batch.length >= BATCH_OPS) {
      // Encode the next chunk while the database writes this one (it writes on its own thread).
      await pending;
      pending = ms.store.rawBatch(batch);
      batch = [];
    }
  }
  await pending;
  const record: RoomRecord = { hydrated: true, stateCount: events.length, counts, indexed: withIndex };
  // One batch is atomic: the record lands with the last chunk of state, never before it.
  batch.push(rawPut(ms.rooms.prefixKey(roomId, 'utf8'), record));
  await ms.store.rawBatch(batch);
  logger.debug({ roomId, stateEvents: events.length, indexed: withIndex }, 'mirror: fetched state written');
  return record;
}

/** The summary state (see SUMMARY_TYPES) of a fetched state, as `loadRoom` would read it back. */
export function summaryOf(events: readonly StateEvent[]): Map<string, RoomEvent> {
  const summary = new Map<string, RoomEvent>();
  for (const event of events) {
    if (isSummaryState(event.type, event.state_key)) summary.set(event.type, toStored(event));
  }
  return summary;
}

function indexPut(ms: MirrorStore, roomId: string, event: StateEvent): RawPut {
  return rawPut(ms.events.prefixKey(eventKeyOf(roomId, event.event_id), 'utf8'), [event.type, event.state_key]);
}

/** Writes the event index of a fetched state, chunk by chunk; stops when `stillWanted` says so. */
export async function writeEventIndex(
  ms: MirrorStore, roomId: string, events: AsyncIterable<StateEvent> | Iterable<StateEvent>, stillWanted: () => boolean,
): Promise<boolean> {
  let batch: RawPut[] = [];
  for await (const event of events) {
    batch.push(indexPut(ms, roomId, event));
    if (batch.length >= BATCH_OPS) {
      if (!stillWanted()) return false;
      await ms.store.rawBatch(batch);
      batch = [];
    }
  }
  if (!stillWanted()) return false;
  if (batch.length > 0) await ms.store.rawBatch(batch);
  return true;
}

/** The usable state events of a fetch; malformed ones are logged and left out. */
export function usableStateEvents(events: readonly RoomEvent[], roomId: string, logger: Logger): StateEvent[] {
  const usable = events.filter((e): e is StateEvent => isUsableStateEvent(e, roomId));
  if (usable.length < events.length) {
    logger.warn({ roomId, skipped: events.length - usable.length }, 'mirror: skipped malformed events in fetched room state');
  }
  return usable;
}

function isUsableStateEvent(event: RoomEvent, roomId: string): event is StateEvent {
  return typeof event.type === 'string' && typeof event.state_key === 'string'
    && typeof event.event_id === 'string' && typeof event.sender === 'string' && isObject(event.content)
    && (event.room_id === undefined || event.room_id === roomId);
}

