import type { JsonObject, RoomEvent } from '../events/types.js';
import { isMembership, type AuthState, type Membership, type StateEntry } from './auth/types.js';
import { roomVersionOf } from './versions.js';

/**
 * A room's state held in plain maps: the engine's `AuthState` for in-memory rooms
 * (the test homeserver, unit tests). Apply state events in room order.
 */
export class MemoryRoomState implements AuthState {
  private readonly state = new Map<string, RoomEvent>();
  private events = 0;

  constructor(events: Iterable<RoomEvent> = []) {
    for (const event of events) this.apply(event);
  }

  /** Records a state event (message events only count towards `onlyCreateEvent`). */
  apply(event: RoomEvent): void {
    this.events += 1;
    if (event.state_key === undefined) return;
    this.state.set(key(event.type, event.state_key), event);
  }

  get roomVersion(): string {
    return roomVersionOf(this.state.get(key('m.room.create', ''))?.content);
  }

  get create(): StateEntry {
    const create = this.state.get(key('m.room.create', ''));
    if (!create) throw new Error('the room has no m.room.create event');
    return create;
  }

  get powerLevels(): JsonObject | undefined {
    return this.state.get(key('m.room.power_levels', ''))?.content;
  }

  get joinRules(): JsonObject | undefined {
    return this.state.get(key('m.room.join_rules', ''))?.content;
  }

  get onlyCreateEvent(): boolean {
    return this.events === 1 && this.state.has(key('m.room.create', ''));
  }

  membershipOf(userId: string): Membership | undefined {
    const membership = this.state.get(key('m.room.member', userId))?.content['membership'];
    return isMembership(membership) ? membership : undefined;
  }

  stateEntry(type: string, stateKey: string): StateEntry | undefined {
    return this.state.get(key(type, stateKey));
  }

  stateEvent(type: string, stateKey = ''): RoomEvent | undefined {
    return this.state.get(key(type, stateKey));
  }

  /** Every state event, in no particular order. */
  all(): RoomEvent[] {
    return [...this.state.values()];
  }
}

function key(type: string, stateKey: string): string {
  return `${type}\u0000${stateKey}`;
}
