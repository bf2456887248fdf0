import type { JsonObject, RoomEvent } from './types.js';
import { isObject } from './validate.js';

/** One event of the stripped state an invite carries: no event id, no timestamp. */
export interface StrippedStateEvent {
  readonly type: string;
  readonly state_key: string;
  readonly sender: string;
  readonly content: JsonObject;
}

/**
 * The stripped room state an invite carries (name, create, join rules, the inviter's
 * member event…): what an invited user may know of a room it cannot read yet.
 * `unsigned.invite_room_state`, or the top-level copy older homeservers send (Synapse
 * 1.94 sends both). Malformed entries are left out; an event without any gives [].
 */
export function inviteStateOf(event: RoomEvent): StrippedStateEvent[] {
  const fromUnsigned = event.unsigned?.['invite_room_state'];
  const raw = Array.isArray(fromUnsigned) ? fromUnsigned : (event as unknown as JsonObject)['invite_room_state'];
  if (!Array.isArray(raw)) return [];
  return raw.filter((e: unknown): e is StrippedStateEvent => isObject(e)
    && typeof e['type'] === 'string' && typeof e['state_key'] === 'string'
    && typeof e['sender'] === 'string' && isObject(e['content']));
}
