/**
 * Matrix events as bridgekit sees them after validation at the edge.
 * Everything past `parseTransaction` works with these types, never with raw JSON.
 */

/** A JSON object whose values have not been inspected yet. */
export type JsonObject = { [key: string]: unknown };

/** A persistent room event (client-server "ClientEvent" format, as sent in transactions). */
export interface RoomEvent {
  readonly type: string;
  readonly event_id: string;
  readonly room_id: string;
  readonly sender: string;
  readonly origin_server_ts: number;
  readonly content: JsonObject;
  /** Present (possibly empty) exactly when the event is a state event, whatever its type. */
  readonly state_key?: string;
  readonly unsigned?: JsonObject;
  /** Top-level in room versions 1–10; in `content` from v11. */
  readonly redacts?: string;
}

/** A room event that carries a `state_key`. */
export interface StateEvent extends RoomEvent {
  readonly state_key: string;
}

export function isStateEvent(event: RoomEvent): event is StateEvent {
  return typeof event.state_key === 'string';
}

/** An ephemeral event (EDU): typing, receipts, presence. */
export interface EphemeralEvent {
  readonly type: string;
  readonly content: JsonObject;
  /** Set for room-scoped EDUs (m.typing, m.receipt). */
  readonly room_id?: string;
  /** Set for m.presence. */
  readonly sender?: string;
}

/** A to-device message delivered to the appservice (MSC2409). */
export interface ToDeviceMessage {
  readonly type: string;
  readonly sender: string;
  readonly to_user_id: string;
  readonly to_device_id: string;
  readonly content: JsonObject;
}

/**
 * The device data of one transaction (MSC3202), for the appservice's own devices: which
 * users' device lists changed, and how many one-time keys and which fallback keys each
 * of our devices has left on the homeserver. What end-to-end encryption needs besides
 * to-device messages; a transaction without any of it has none.
 */
export interface DeviceChanges {
  /** Users whose devices changed (`changed`) or who no longer share an encrypted room (`left`). */
  readonly deviceLists?: { readonly changed: readonly string[]; readonly left: readonly string[] };
  /** user id → device id → key algorithm → count of unclaimed one-time keys. */
  readonly oneTimeKeyCounts?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, number>>>>>>;
  /** user id → device id → algorithms of fallback keys not used yet. */
  readonly unusedFallbackKeyTypes?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** One transaction pushed by the homeserver, with stable and unstable keys merged. */
export interface Transaction {
  readonly events: RoomEvent[];
  readonly ephemeral: EphemeralEvent[];
  readonly toDevice: ToDeviceMessage[];
  /** Present only when the transaction carried MSC3202 device data. */
  readonly deviceChanges?: DeviceChanges;
}

/** One unit of inbound work, as journaled and dispatched. */
export type InboundItem =
  | { readonly kind: 'event'; readonly event: RoomEvent }
  | { readonly kind: 'ephemeral'; readonly event: EphemeralEvent }
  | { readonly kind: 'to_device'; readonly message: ToDeviceMessage }
  | { readonly kind: 'device_changes'; readonly changes: DeviceChanges };
