import type { RoomEvent, StateEvent } from '../events/types.js';
import { powerLevelIn, roomAuth } from './auth/power.js';
import { serverOfUser } from './auth/creators.js';
import { entryAuthState } from './entry-auth.js';
import { isSummaryState, type RoomRecord } from './layout.js';
import { membershipOfEvent, shiftCounts, toStored, type EventLocation, type MirrorStore, type RoomEntry } from './mirror-store.js';
import { StateKeys } from './state-keys.js';
import { redactEvent, redactsOf } from './redaction.js';
import { roomVersionOf } from './versions.js';

/**
 * Puts a state event into the mirror and returns the room as it is after it. A state
 * event already applied (same event ID seen before) changes nothing, so redelivery is
 * harmless. On a first delivery the event index is not read: the event cannot be in it.
 */
export async function applyStateEvent(ms: MirrorStore, entry: RoomEntry, event: StateEvent, firstDelivery = false): Promise<RoomEntry> {
  if (firstDelivery) {
    const applied = applyStateFromMemory(ms, entry, event);
    if (applied) return applied;
  }
  const { roomId } = entry;
  const [seen, old] = await Promise.all([
    firstDelivery ? undefined : ms.eventLocation(roomId, event.event_id),
    isSummaryState(event.type, event.state_key) ? entry.summary.get(event.type)
      // A key the room certainly does not have (a new member, mostly) has no previous event to read.
      : entry.stateKeys?.mayHave(event.type, event.state_key) === false ? undefined
        : ms.getState(roomId, event.type, event.state_key),
  ]);
  // Seen before, or the current state already (the index of a fetched state may still be filling).
  if (seen !== undefined || old?.event_id === event.event_id) return entry;
  return replaceState(ms, entry, toStored(event), old);
}

/**
 * A first delivery decided from memory alone: the previous event at the key is in the
 * room's summary, or the room certainly has none (a new member, mostly). Undefined when
 * the previous event has to be read.
 */
export function applyStateFromMemory(ms: MirrorStore, entry: RoomEntry, event: StateEvent): RoomEntry | undefined {
  const summary = isSummaryState(event.type, event.state_key);
  if (!summary && entry.stateKeys?.mayHave(event.type, event.state_key) !== false) return undefined;
  const old = summary ? entry.summary.get(event.type) : undefined;
  if (old?.event_id === event.event_id) return entry;
  return replaceState(ms, entry, toStored(event), old);
}

/**
 * Applies an m.room.redaction to the state event it targets, when that event is still
 * current state and the redaction may take effect ("Handling redactions", v3+: the
 * redact level, or a redaction from the original sender's own server).
 */
export async function applyRedaction(ms: MirrorStore, known: RoomEntry, redaction: RoomEvent): Promise<RoomEntry> {
  const target = redactsOf(redaction);
  if (target === undefined) return known;
  const { entry, location } = await findStateEvent(ms, known, target);
  if (location === undefined) return entry;
  const [type, stateKey] = location;
  const current = isSummaryState(type, stateKey) ? entry.summary.get(type) : await ms.getState(entry.roomId, type, stateKey);
  if (!current || current.event_id !== target || current.state_key === undefined) return entry;
  if (!redactionTakesEffect(entry, redaction, current)) return entry;
  const version = roomVersionOf(entry.summary.get('m.room.create')?.content);
  const redacted = redactEvent(current, version, redactionSummary(redaction)) as StateEvent;
  return replaceState(ms, entry, redacted, current);
}

/**
 * Where a state event of the room sits, by its ID: in the event index (fetched and
 * superseded events), in the summary, or else among the current state, which memory rules
 * out when the room's event IDs are known (`StateKeys`); otherwise the room's state is read
 * once, and the returned entry keeps what that read learnt. Undefined `location`: the ID
 * is no state event of the room (a message, mostly).
 */
export async function findStateEvent(ms: MirrorStore, entry: RoomEntry, eventId: string): Promise<{ entry: RoomEntry; location?: EventLocation }> {
  const indexed = await ms.eventLocation(entry.roomId, eventId);
  if (indexed !== undefined) return { entry, location: indexed };
  for (const event of entry.summary.values()) {
    if (event.event_id === eventId && event.state_key !== undefined) return { entry, location: [event.type, event.state_key] };
  }
  if (entry.stateKeys?.mayHoldEvent(eventId) === false) return { entry };
  const keys = new StateKeys();
  let location: EventLocation | undefined;
  for await (const event of ms.iterateState(entry.roomId)) {
    if (event.state_key === undefined) continue;
    keys.add(event.type, event.state_key);
    keys.addEvent(event.event_id);
    if (event.event_id === eventId) location = [event.type, event.state_key];
  }
  // Read whole (after every staged write, in the room's queue): its keys and IDs are known now.
  const learnt = entry.stateKeys ? entry : { ...entry, stateKeys: keys };
  return location === undefined ? { entry: learnt } : { entry: learnt, location };
}

/** Stages the event's writes (see WriteBehind) and returns the room as it is after it. */
export function replaceState(ms: MirrorStore, entry: RoomEntry, event: StateEvent, old: RoomEvent | undefined): RoomEntry {
  const { roomId } = entry;
  const record: RoomRecord = {
    ...entry.record,
    hydrated: entry.record.hydrated || event.type === 'm.room.create',
    stateCount: entry.record.stateCount + (old === undefined ? 1 : 0),
    counts: event.type === 'm.room.member'
      ? shiftCounts(entry.record.counts, membershipOfEvent(old), membershipOfEvent(event))
      : entry.record.counts,
  };
  entry.stateKeys?.add(event.type, event.state_key);
  entry.stateKeys?.addEvent(event.event_id);
  ms.putState(roomId, event, old);
  // The counts follow from the state: written when the room leaves memory (see RoomRecord.exact).
  if (record.hydrated !== entry.record.hydrated) ms.putRecord(roomId, record);
  else ms.putCounts(roomId, record);
  let summary = entry.summary;
  if (isSummaryState(event.type, event.state_key)) {
    const next = new Map(summary);
    next.set(event.type, event);
    summary = next;
  }
  return entry.stateKeys ? { roomId, record, summary, stateKeys: entry.stateKeys } : { roomId, record, summary };
}

function redactionTakesEffect(entry: RoomEntry, redaction: RoomEvent, original: RoomEvent): boolean {
  if (serverOfUser(redaction.sender) === serverOfUser(original.sender)) return true;
  // Only levels are needed here, not memberships.
  const state = entryAuthState(entry, new Map());
  if (!state) return true; // Without the create event there is nothing to judge by: trust the homeserver.
  const auth = roomAuth(state);
  return powerLevelIn(auth, redaction.sender) >= auth.pl.levels.redact;
}

/** What `unsigned.redacted_because` keeps of the redaction: enough to say who and why. */
function redactionSummary(redaction: RoomEvent): RoomEvent {
  return {
    type: redaction.type,
    event_id: redaction.event_id,
    room_id: redaction.room_id,
    sender: redaction.sender,
    origin_server_ts: redaction.origin_server_ts,
    content: redaction.content,
    ...(redaction.redacts !== undefined ? { redacts: redaction.redacts } : {}),
  };
}
