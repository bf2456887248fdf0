import type { JsonObject, RoomEvent } from '../events/types.js';
import { forbidden, MatrixError, notFound } from './errors.js';
import { newEventId, newLegacyRoomId, v12RoomIdFromCreateEventId } from './ids.js';
import { Room, type SentWith, type StoredEvent } from './room.js';
import type { RoomAuthorizer } from './room-auth.js';
import { strippedInviteState } from './event-format.js';

export const SUPPORTED_ROOM_VERSIONS = ['10', '11', '12'] as const;

/** What a client or the server wants to put into a room; the registry fills in the rest. */
export interface EventDraft {
  readonly type: string;
  readonly sender: string;
  readonly content: JsonObject;
  readonly stateKey?: string;
  /** For m.room.redaction: the target, kept at the top level and in content as Synapse does. */
  readonly redacts?: string;
  /** `origin_server_ts` override: the appservice's `?ts=`. */
  readonly ts?: number;
  /** The client transaction it came from (`PUT …/send|redact/…/{txnId}`). */
  readonly txn?: SentWith;
}

export type EventListener = (room: Room, stored: StoredEvent) => void;

/**
 * All rooms, and the only way events enter them: every event is built here, checked by
 * the auth engine, appended, and then announced to listeners (the pusher, waiters).
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();
  private readonly listeners: EventListener[] = [];

  constructor(private readonly serverName: string, private readonly authorizer: RoomAuthorizer) {}

  onEvent(listener: EventListener): void {
    this.listeners.push(listener);
  }

  get(roomId: string): Room | undefined {
    return this.rooms.get(roomId);
  }

  require(roomId: string): Room {
    const room = this.rooms.get(roomId);
    if (!room) throw notFound(`Unknown room ${roomId}`);
    return room;
  }

  all(): Room[] {
    return [...this.rooms.values()];
  }

  /**
   * Creates the room from its m.room.create event. For v12 the room ID is derived from
   * that event's ID; earlier versions get a random ID on this server.
   */
  create(version: string, sender: string, content: JsonObject, ts?: number, legacyRoomId?: string): Room {
    if (!(SUPPORTED_ROOM_VERSIONS as readonly string[]).includes(version)) {
      throw new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', `This server does not support room version ${version}`);
    }
    const now = Date.now();
    const base = { type: 'm.room.create', sender, content, state_key: '', origin_server_ts: ts ?? now };
    const eventId = newEventId(base);
    const roomId = version === '12' ? v12RoomIdFromCreateEventId(eventId) : legacyRoomId ?? this.newRoomId();
    const room = new Room(roomId, version);
    const event: RoomEvent = { ...base, room_id: roomId, event_id: eventId, unsigned: {} };
    this.admit(room, event);
    this.rooms.set(roomId, room);
    this.commit(room, { event, receivedAt: now });
    return room;
  }

  /** A fresh room ID of this server for a room before v12 (whose IDs are not derived from the create event). */
  newRoomId(): string {
    return newLegacyRoomId(this.serverName);
  }

  /** Builds, authorises and appends one event; throws M_FORBIDDEN with the engine's reason. */
  send(room: Room, draft: EventDraft): RoomEvent {
    const { event, receivedAt } = this.prepare(room, draft);
    this.commit(room, draft.txn === undefined ? { event, receivedAt } : { event, receivedAt, txn: draft.txn });
    return event;
  }

  /**
   * Builds and authorises an event without appending it, so its ID is known first (Synapse
   * does this with an upgrade's tombstone, which the new room's create event names).
   * `sendPrepared` appends it later, authorised again against the room as it is then.
   */
  prepare(room: Room, draft: EventDraft): { readonly event: RoomEvent; readonly receivedAt: number } {
    const now = Date.now();
    const base: Record<string, unknown> = {
      type: draft.type,
      room_id: room.roomId,
      sender: draft.sender,
      content: draft.content,
      origin_server_ts: draft.ts ?? now,
    };
    if (draft.stateKey !== undefined) base['state_key'] = draft.stateKey;
    if (draft.redacts !== undefined) base['redacts'] = draft.redacts;
    const unsigned: JsonObject = {};
    if (draft.stateKey !== undefined) {
      const previous = room.stateEvent(draft.type, draft.stateKey);
      if (previous) {
        unsigned['prev_content'] = previous.content;
        unsigned['prev_sender'] = previous.sender;
        unsigned['replaces_state'] = previous.event_id;
      }
    }
    if (draft.type === 'm.room.member' && draft.content['membership'] === 'invite') {
      unsigned['invite_room_state'] = strippedInviteState(room, draft.sender);
    }
    const event = { ...base, event_id: newEventId(base), unsigned } as unknown as RoomEvent;
    this.admit(room, event);
    return { event, receivedAt: now };
  }

  sendPrepared(room: Room, prepared: { readonly event: RoomEvent; readonly receivedAt: number }): RoomEvent {
    const previous = prepared.event.state_key === undefined ? undefined : room.stateEvent(prepared.event.type, prepared.event.state_key);
    const unsigned: JsonObject = previous
      ? { prev_content: previous.content, prev_sender: previous.sender, replaces_state: previous.event_id }
      : {};
    const event = { ...prepared.event, unsigned };
    this.admit(room, event);
    this.commit(room, { event, receivedAt: prepared.receivedAt });
    return event;
  }

  private admit(room: Room, event: RoomEvent): void {
    const verdict = this.authorizer.check(room, event);
    if (!verdict.allowed) throw forbidden(verdict.reason);
  }

  private commit(room: Room, stored: StoredEvent): void {
    room.append(stored);
    if (stored.event.type === 'm.room.redaction') this.applyRedaction(room, stored.event);
    for (const listener of this.listeners) listener(room, stored);
  }

  private applyRedaction(room: Room, redaction: RoomEvent): void {
    const targetId = redaction.content['redacts'] ?? redaction.redacts;
    if (typeof targetId !== 'string') return;
    const target = room.event(targetId);
    if (!target) return;
    room.replace(targetId, this.authorizer.redact(target, room.version, redaction));
  }
}
