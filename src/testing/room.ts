import type { JsonObject, RoomEvent, StateEvent } from '../events/types.js';

/** An event as this server keeps it: the client-format event and when it was created here. */
export interface StoredEvent {
  event: RoomEvent;
  /** Local clock at creation; `age` counts from here, not from a massaged `origin_server_ts`. */
  readonly receivedAt: number;
  /** The client transaction that sent it, shown back (`unsigned.transaction_id`) to that client only. */
  readonly txn?: SentWith;
}

/** Who sent an event through which txnId: `scope` is `txnScope(requester)`. */
export interface SentWith {
  readonly scope: string;
  readonly txnId: string;
}

export type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock';

const stateKeyOf = (type: string, stateKey: string) => `${type}\u0000${stateKey}`;

/**
 * One room: its timeline, current state and ephemeral bits. It only stores; who may do what
 * is decided by the auth engine before anything is appended (see room-auth.ts).
 */
export class Room {
  private readonly timeline: StoredEvent[] = [];
  private readonly byId = new Map<string, StoredEvent>();
  private readonly current = new Map<string, StoredEvent>();
  /** user → typing expiry (ms since epoch). */
  readonly typing = new Map<string, number>();
  /** eventId → receipt type → user → receipt data. */
  readonly receipts = new Map<string, Map<string, Map<string, JsonObject>>>();

  constructor(readonly roomId: string, readonly version: string) {}

  /** Every event in order, as clients would see them now (redactions applied). */
  events(): RoomEvent[] {
    return this.timeline.map((stored) => stored.event);
  }

  get eventCount(): number {
    return this.timeline.length;
  }

  stored(eventId: string): StoredEvent | undefined {
    return this.byId.get(eventId);
  }

  event(eventId: string): RoomEvent | undefined {
    return this.byId.get(eventId)?.event;
  }

  stateEvent(type: string, stateKey = ''): StateEvent | undefined {
    return this.current.get(stateKeyOf(type, stateKey))?.event as StateEvent | undefined;
  }

  stateEvents(): StateEvent[] {
    return [...this.current.values()].map((stored) => stored.event as StateEvent);
  }

  membership(userId: string): Membership | undefined {
    const content = this.stateEvent('m.room.member', userId)?.content;
    const value = content?.['membership'];
    return typeof value === 'string' ? (value as Membership) : undefined;
  }

  /** user → membership, for every user with a member event. */
  memberships(): Map<string, Membership> {
    const result = new Map<string, Membership>();
    for (const event of this.stateEvents()) {
      if (event.type !== 'm.room.member') continue;
      const membership = event.content['membership'];
      if (typeof membership === 'string') result.set(event.state_key, membership as Membership);
    }
    return result;
  }

  joinedMembers(): string[] {
    return [...this.memberships()].filter(([, m]) => m === 'join').map(([user]) => user);
  }

  /** The room state just after `eventId` (a departed member sees the room as it was when they left). */
  stateAfter(eventId: string): StoredEvent[] {
    const state = new Map<string, StoredEvent>();
    for (const stored of this.timeline) {
      const stateKey = stored.event.state_key;
      if (typeof stateKey === 'string') state.set(stateKeyOf(stored.event.type, stateKey), this.byId.get(stored.event.event_id) ?? stored);
      if (stored.event.event_id === eventId) break;
    }
    return [...state.values()];
  }

  /** Appends an already-authorised event and, for state, makes it current. */
  append(stored: StoredEvent): void {
    this.timeline.push(stored);
    this.byId.set(stored.event.event_id, stored);
    const stateKey = stored.event.state_key;
    if (typeof stateKey === 'string') this.current.set(stateKeyOf(stored.event.type, stateKey), stored);
  }

  /** Swaps an event for its redacted form everywhere it is referenced. */
  replace(eventId: string, redacted: RoomEvent): void {
    const stored = this.byId.get(eventId);
    if (stored) stored.event = redacted;
  }
}
