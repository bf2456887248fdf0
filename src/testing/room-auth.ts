import type { JsonObject, RoomEvent } from '../events/types.js';
import {
  authorizeEvent, authRules, isMembership, redactEvent, redactsOf,
  type AuthState, type Membership, type ProposedEvent, type StateEntry, type Verdict,
} from '../mirror/index.js';
import type { Room } from './room.js';

/** Whether an event may enter a room, and why not. */
export interface AuthVerdict {
  readonly allowed: boolean;
  readonly reason: string;
}

/**
 * The single point where the test homeserver asks "may this event be appended?" and
 * "what does redaction leave?". The rules are the mirror's auth engine (src/mirror/auth);
 * this interface keeps the homeserver independent of how that engine is called.
 */
export interface RoomAuthorizer {
  check(room: Room, event: RoomEvent): AuthVerdict;
  redact(event: RoomEvent, roomVersion: string, redactedBecause: RoomEvent): RoomEvent;
}

/** A Room seen through the engine's read interface. */
class RoomAuthState implements AuthState {
  constructor(private readonly room: Room) {}

  get roomVersion(): string {
    return this.room.version;
  }

  get create(): StateEntry {
    const create = this.room.stateEvent('m.room.create');
    if (!create) throw new Error(`room ${this.room.roomId} has no m.room.create event`);
    return create;
  }

  get powerLevels(): JsonObject | undefined {
    return this.room.stateEvent('m.room.power_levels')?.content;
  }

  get joinRules(): JsonObject | undefined {
    return this.room.stateEvent('m.room.join_rules')?.content;
  }

  get onlyCreateEvent(): boolean {
    return this.room.eventCount === 1;
  }

  membershipOf(userId: string): Membership | undefined {
    const membership = this.room.stateEvent('m.room.member', userId)?.content['membership'];
    return isMembership(membership) ? membership : undefined;
  }

  stateEntry(type: string, stateKey: string): StateEntry | undefined {
    return this.room.stateEvent(type, stateKey);
  }
}

function toVerdict(verdict: Verdict): AuthVerdict {
  return verdict.allowed ? { allowed: true, reason: '' } : { allowed: false, reason: `${verdict.reason} (${verdict.rule})` };
}

/** The mirror's engine applied to this server's rooms, plus Synapse's client-side redaction rule. */
export const mirrorAuthorizer: RoomAuthorizer = {
  check(room, event) {
    const state = new RoomAuthState(room);
    const proposed: ProposedEvent = {
      type: event.type,
      sender: event.sender,
      content: event.content,
      event_id: event.event_id,
      ...(event.state_key !== undefined ? { state_key: event.state_key } : {}),
      ...(event.redacts !== undefined ? { redacts: event.redacts } : {}),
      // The create event's room ID is this server's business (v12 derives it from the event).
      ...(event.type === 'm.room.create' ? {} : { room_id: event.room_id }),
    };
    const verdict = authorizeEvent(state, proposed);
    if (!verdict.allowed || event.type !== 'm.room.redaction') return toVerdict(verdict);
    // The auth rules only ask "may send m.room.redaction"; servers also require the
    // redact level to redact someone else's event.
    const targetId = redactsOf(event);
    const target = targetId === undefined ? undefined : room.event(targetId);
    return target ? toVerdict(authRules.canRedact(state, event.sender, target.sender)) : toVerdict(verdict);
  },
  redact(event, roomVersion, redactedBecause) {
    return redactEvent(event, roomVersion, redactedBecause);
  },
};
