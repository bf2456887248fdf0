import type { JsonObject, RoomEvent } from '../events/types.js';
import type { Room, StoredEvent } from './room.js';
import { txnScope, type Requester } from './requester.js';

/** State types Synapse shares with invitees by default (`room_prejoin_state`). */
const PREJOIN_STATE_TYPES = [
  'm.room.join_rules', 'm.room.create', 'm.room.name', 'm.room.canonical_alias',
  'm.room.avatar', 'm.room.encryption', 'm.room.topic',
];

/** The stripped state an invite carries in `unsigned.invite_room_state`. */
export function strippedInviteState(room: Room, inviter: string): JsonObject[] {
  const events = PREJOIN_STATE_TYPES.map((type) => room.stateEvent(type, ''));
  events.push(room.stateEvent('m.room.member', inviter));
  return events.flatMap((event) => event
    ? [{ content: event.content, sender: event.sender, state_key: event.state_key, type: event.type }]
    : []);
}

/** Client-server format: the stored event with `unsigned.age` as of now. */
export function toClientEvent(stored: StoredEvent, now = Date.now()): RoomEvent {
  const unsigned = { ...(stored.event.unsigned ?? {}), age: now - stored.receivedAt };
  return { ...stored.event, unsigned };
}

/**
 * An event as Synapse 1.94 serialises it, in appservice transactions and in the client API
 * (`/event`, `/state`, `/members`): besides `unsigned`, the legacy top-level `age`,
 * `user_id`, `prev_content`, `replaces_state`, `invite_room_state` and `redacted_because`.
 * A redacted event's `unsigned` also says `redacted_by`, and the redaction in
 * `redacted_because` is in this format too.
 */
export function toSynapseEvent(stored: StoredEvent, now = Date.now(), reader?: Reader): JsonObject {
  const client = toClientEvent(stored, now);
  const unsigned: JsonObject = { ...(client.unsigned ?? {}) };
  if (reader && stored.txn && stored.txn.scope === reader.scope) unsigned['transaction_id'] = stored.txn.txnId;
  const because = unsigned['redacted_because'];
  if (isEvent(because)) {
    const redaction = reader?.stored(because.event_id) ?? { event: because, receivedAt: because.origin_server_ts };
    unsigned['redacted_because'] = toSynapseEvent(redaction, now, reader);
    unsigned['redacted_by'] = because.event_id;
  }
  const legacy: JsonObject = { age: unsigned['age'], user_id: client.sender };
  for (const key of ['prev_content', 'replaces_state', 'invite_room_state', 'redacted_because']) {
    if (unsigned[key] !== undefined) legacy[key] = unsigned[key];
  }
  return sortKeys({ ...client, unsigned, ...legacy });
}

/**
 * Who reads an event through the client API: Synapse shows `unsigned.transaction_id` to
 * the client that sent it (same user and device, or the appservice). `stored` finds the
 * redaction a redacted event points to.
 */
export interface Reader {
  readonly scope: string;
  stored(eventId: string): StoredEvent | undefined;
}

function isEvent(value: unknown): value is RoomEvent {
  return typeof value === 'object' && value !== null && typeof (value as JsonObject)['event_id'] === 'string'
    && typeof (value as JsonObject)['origin_server_ts'] === 'number';
}

/** Synapse serialises with sorted keys; keeping that order makes diffs against fixtures easy. */
function sortKeys(object: JsonObject): JsonObject {
  return Object.fromEntries(Object.keys(object).sort().map((key) => [key, object[key]]));
}

/** The reader of `room` that `requester` is. */
export function readerOf(room: Room, requester: Requester): Reader {
  return { scope: txnScope(requester), stored: (eventId) => room.stored(eventId) };
}

/**
 * `GET …/state/{type}/{key}?format=event` as Synapse 1.94 answers it: the event's own
 * fields without `event_id`, and `unsigned` holding only `age_ts`.
 */
export function toStateFormatEvent(stored: StoredEvent): JsonObject {
  const { event_id: _eventId, unsigned: _unsigned, ...fields } = stored.event;
  return sortKeys({ ...fields, unsigned: { age_ts: stored.receivedAt } });
}
