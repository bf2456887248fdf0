import type { Refusal } from '../mirror/index.js';

/**
 * Thrown before any request when asked to act as a user outside the registration's user
 * namespaces (and not the bot): the homeserver would refuse it, and it is always a bug.
 */
export class NotAPuppetError extends Error {
  constructor(readonly userId: string) {
    super(`${userId} is neither the bridge bot nor inside the registration's user namespaces; bridgekit cannot act as it`);
    this.name = 'NotAPuppetError';
  }
}

export interface PermissionDeniedInit {
  /** Who would have acted. */
  readonly userId: string;
  readonly roomId: string;
  /** What was refused, for people: "send m.room.message", "kick @bob:hs". */
  readonly action: string;
  /** The permission engine's refusal: the rule and, when levels decided, both levels. */
  readonly verdict: Refusal;
  /** A fuller sentence than the verdict's reason, when there is one (e.g. who could grant a level instead). */
  readonly detail?: string;
  readonly cause?: unknown;
}

/**
 * The mirror's permission engine refused an action, so no request was made: the error
 * names the auth rule instead of surfacing a bare 403 from the homeserver.
 */
export class PermissionDenied extends Error {
  readonly userId: string;
  readonly roomId: string;
  readonly action: string;
  readonly verdict: Refusal;
  /** The spec rule that refuses, e.g. "v10 auth rule 4.3.4". */
  readonly rule: string;
  readonly required: number | undefined;
  readonly actual: number | undefined;

  constructor(init: PermissionDeniedInit) {
    super(
      `${init.userId} may not ${init.action} in ${init.roomId}: ${init.detail ?? init.verdict.reason} (${init.verdict.rule})`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = 'PermissionDenied';
    this.userId = init.userId;
    this.roomId = init.roomId;
    this.action = init.action;
    this.verdict = init.verdict;
    this.rule = init.verdict.rule;
    this.required = init.verdict.required;
    this.actual = init.verdict.actual;
  }
}

/** The rule named when a puppet would send into a room that was upgraded (it has a tombstone). */
export const ROOM_UPGRADED = 'bridgekit puppets: room upgraded (m.room.tombstone)';

/** The rule named when the mirror cannot judge a room at all. */
export const MIRROR_CANNOT_JUDGE = 'bridgekit puppets: room unknown to the mirror';

export function cannotJudge(roomId: string): Refusal {
  return {
    allowed: false,
    rule: MIRROR_CANNOT_JUDGE,
    reason: `the mirror does not hold the full state of ${roomId} (not seen yet, or not hydrated), so the permission engine cannot judge`,
  };
}
