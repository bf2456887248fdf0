import type { JsonObject } from '../../events/types.js';

/** A user's membership of a room, as `m.room.member` `content.membership` names it. */
export type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock';

export const MEMBERSHIPS: readonly Membership[] = ['join', 'invite', 'leave', 'ban', 'knock'];

export function isMembership(value: unknown): value is Membership {
  return typeof value === 'string' && (MEMBERSHIPS as readonly string[]).includes(value);
}

/** The parts of a state event the auth rules look at. */
export interface StateEntry {
  readonly sender: string;
  readonly content: JsonObject;
}

/**
 * The read interface the permission engine works over. It is synchronous and small so
 * that both the Level-backed mirror (which loads the few memberships a question needs
 * first) and a plain in-memory room (the test homeserver) can provide it.
 */
export interface AuthState {
  /** The room's version string ("1" when the create event names none). */
  readonly roomVersion: string;
  /** The m.room.create event: its sender and content. */
  readonly create: StateEntry;
  /** Content of m.room.power_levels, or undefined when the room has none. */
  readonly powerLevels: JsonObject | undefined;
  /** Content of m.room.join_rules, or undefined when the room has none. */
  readonly joinRules: JsonObject | undefined;
  /** A user's current membership; undefined when the user has no m.room.member event. */
  membershipOf(userId: string): Membership | undefined;
  /**
   * Any other state event, for rules that need one (m.room.third_party_invite).
   * Optional: without it, third-party invites are refused.
   */
  stateEntry?(type: string, stateKey: string): StateEntry | undefined;
  /**
   * True when the create event is the only event in the room so far (the creator's
   * first join). When omitted, the engine infers it: no power levels, no join rules
   * and no membership for the creator.
   */
  readonly onlyCreateEvent?: boolean;
}

/** A decision. A refusal says which spec rule refused and, when levels decided, both levels. */
export type Verdict =
  | { readonly allowed: true }
  | {
    readonly allowed: false;
    /** The spec rule that refuses, e.g. "v11 auth rule 4.5.4". */
    readonly rule: string;
    /** A sentence for people, e.g. "sending m.room.topic needs power level 50; @bob:hs has 0". */
    readonly reason: string;
    readonly required?: number;
    readonly actual?: number;
  };

/** The event the auth rules are asked about: what a client or server would send. */
export interface ProposedEvent {
  readonly type: string;
  readonly sender: string;
  readonly content: JsonObject;
  readonly state_key?: string;
  /** Needed only for the v1–v2 redaction rule (same-domain check). */
  readonly event_id?: string;
  readonly redacts?: string;
  /** For m.room.create: whether the event has prev_events (it must not). */
  readonly prev_events?: readonly unknown[];
  /** For m.room.create: the room ID (v1–v11: must share the sender's domain; v12: absent). */
  readonly room_id?: string;
}
