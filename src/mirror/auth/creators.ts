import type { JsonObject } from '../../events/types.js';
import type { RoomVersionRules } from '../versions.js';
import type { StateEntry } from './types.js';

/** Loose user-ID check: `@localpart:server` with both parts non-empty. */
export function isUserId(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('@') && value.indexOf(':') > 1 && !value.endsWith(':');
}

/** The server name of a user ID (user IDs always have one, unlike v12 room IDs). */
export function serverOfUser(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}

/**
 * The room's creators: `content.creator` up to v10, the create event's `sender` from
 * v11, and in v12 the sender plus `content.additional_creators`.
 */
export function creatorsOf(create: StateEntry, rules: RoomVersionRules): readonly string[] {
  if (!rules.creatorIsCreateSender) {
    const creator = create.content['creator'];
    // The creator key is required up to v10; fall back to the sender if a server omitted it.
    return [typeof creator === 'string' ? creator : create.sender];
  }
  if (!rules.privilegedCreators) return [create.sender];
  return [create.sender, ...additionalCreators(create.content).filter((c) => c !== create.sender)];
}

export function additionalCreators(content: JsonObject): string[] {
  const extra = content['additional_creators'];
  if (!Array.isArray(extra)) return [];
  return extra.filter(isUserId);
}

/** The room type (`m.space` for spaces), from the create event's content. */
export function roomTypeOf(create: StateEntry): string | undefined {
  const type = create.content['type'];
  return typeof type === 'string' ? type : undefined;
}
