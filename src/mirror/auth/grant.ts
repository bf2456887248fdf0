import type { JsonObject } from '../../events/types.js';
import { canChangePowerLevels } from './can.js';
import { powerLevelIn, roomAuth, type RoomAuth } from './power.js';
import type { AuthState, Verdict } from './types.js';
import { userLevelContent } from './user-level.js';
import { formatLevel } from './verdict.js';

export type Refusal = Extract<Verdict, { allowed: false }>;

export type GrantAnswer =
  | {
    readonly possible: true;
    /** Controlled users who may send `content`, in the order given (prefer the first). */
    readonly grantors: readonly string[];
    /** The m.room.power_levels content to send; undefined when nothing needs to change. */
    readonly content: JsonObject | undefined;
    /** True when the target already has the level (or is a v12 creator). */
    readonly unchanged: boolean;
  }
  | {
    readonly possible: false;
    /** One sentence for the person who asked, naming who could do it instead. */
    readonly reason: string;
    readonly refusals: readonly { readonly user: string; readonly verdict: Refusal }[];
    /** Users (not controlled by the bridge) whose level is high enough to grant it. */
    readonly holders: readonly { readonly user: string; readonly level: number }[];
  };

/**
 * Which of the bridge's own users (`controlled`: the bot and its puppets) could raise
 * `target` to `level` by sending new power levels — the "make room admin" operation.
 */
export function whoCanGrant(state: AuthState, target: string, level: number, controlled: readonly string[]): GrantAnswer {
  const auth = roomAuth(state);
  const current = powerLevelIn(auth, target);
  if (current === level || (auth.rules.privilegedCreators && auth.creators.includes(target))) {
    return { possible: true, grantors: [], content: undefined, unchanged: true };
  }
  const content = userLevelContent(auth, target, level);
  const refusals: { user: string; verdict: Refusal }[] = [];
  const grantors: string[] = [];
  for (const user of controlled) {
    const verdict = canChangePowerLevels(state, user, content);
    if (verdict.allowed) grantors.push(user);
    else refusals.push({ user, verdict });
  }
  if (grantors.length > 0) return { possible: true, grantors, content, unchanged: false };
  const holders = holdersAbove(auth, Math.max(level, current + 1)).filter((h) => !controlled.includes(h.user));
  const who = refusals.map((r) => r.verdict.reason).join('; ');
  const instead = holders.length > 0
    ? ` Ask ${holders.map((h) => `${h.user} (${formatLevel(h.level)})`).join(', ')} instead.`
    : ' Nobody in the room has that power.';
  const reason = controlled.length === 0
    ? `the bridge controls no user in this room, so it cannot raise ${target} to ${formatLevel(level)}.${instead}`
    : `none of the bridge's users can raise ${target} to ${formatLevel(level)}: ${who}.${instead}`;
  return { possible: false, reason, refusals, holders };
}

/** Joined users whose level reaches `level`: creators and those listed in `users`. */
function holdersAbove(auth: RoomAuth, level: number): { user: string; level: number }[] {
  const candidates = new Set<string>([...auth.creators, ...auth.pl.users.keys()]);
  const out: { user: string; level: number }[] = [];
  for (const user of candidates) {
    const userLevel = powerLevelIn(auth, user);
    if (userLevel >= level && auth.state.membershipOf(user) === 'join') out.push({ user, level: userLevel });
  }
  return out.sort((a, b) => b.level - a.level);
}
