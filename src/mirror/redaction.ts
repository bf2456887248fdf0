import type { JsonObject, RoomEvent } from '../events/types.js';
import { isObject } from '../events/validate.js';
import { roomVersionRules, type RedactionRules } from './versions.js';

/** Top-level keys every version keeps (server-side keys kept when present). */
const KEPT_KEYS = [
  'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures',
  'depth', 'prev_events', 'auth_events', 'origin_server_ts',
] as const;
/** Kept up to v10 only. */
const LEGACY_KEPT_KEYS = ['prev_state', 'origin', 'membership'] as const;
/** `unsigned` keys a server keeps on a redacted event (Synapse's prune_event does the same). */
const KEPT_UNSIGNED = ['age_ts', 'replaces_state', 'redacted_because', 'invite_room_state', 'knock_room_state'] as const;

/**
 * The redaction algorithm of the room's version applied to an event (spec "Redactions",
 * v1 … v11 pages). Returns a new event; legacy top-level fields Synapse adds
 * (`prev_content`, `age`, `user_id`, …) go, as the algorithm keeps none of them.
 */
export function redactEvent(event: RoomEvent, roomVersion: string, redactedBecause?: RoomEvent): RoomEvent {
  const rules = roomVersionRules(roomVersion).redaction;
  const source = event as unknown as JsonObject;
  const out: JsonObject = {};
  const keep = rules.v11 ? KEPT_KEYS : [...KEPT_KEYS, ...LEGACY_KEPT_KEYS];
  for (const key of keep) if (source[key] !== undefined) out[key] = source[key];
  out['content'] = redactContent(event.type, event.content, rules);
  const unsigned: JsonObject = {};
  for (const key of KEPT_UNSIGNED) if (event.unsigned?.[key] !== undefined) unsigned[key] = event.unsigned[key];
  if (redactedBecause) unsigned['redacted_because'] = redactedBecause;
  if (Object.keys(unsigned).length > 0) out['unsigned'] = unsigned;
  return out as unknown as RoomEvent;
}

/** The content keys that survive redaction, by event type and version. */
export function redactContent(type: string, content: JsonObject, rules: RedactionRules): JsonObject {
  const pick = (...keys: string[]): JsonObject => {
    const out: JsonObject = {};
    for (const key of keys) if (content[key] !== undefined) out[key] = content[key];
    return out;
  };
  switch (type) {
    case 'm.room.member': {
      const out = pick('membership', ...(rules.keepJoinAuthorisedVia ? ['join_authorised_via_users_server'] : []));
      const invite = content['third_party_invite'];
      if (rules.v11 && isObject(invite) && invite['signed'] !== undefined) out['third_party_invite'] = { signed: invite['signed'] };
      return out;
    }
    case 'm.room.create':
      return rules.v11 ? { ...content } : pick('creator');
    case 'm.room.join_rules':
      return pick('join_rule', ...(rules.keepJoinRulesAllow ? ['allow'] : []));
    case 'm.room.power_levels':
      return pick('ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default',
        ...(rules.v11 ? ['invite'] : []));
    case 'm.room.aliases':
      return rules.keepAliases ? pick('aliases') : {};
    case 'm.room.history_visibility':
      return pick('history_visibility');
    case 'm.room.redaction':
      return rules.v11 ? pick('redacts') : {};
    default:
      return {};
  }
}

/**
 * The event a redaction targets: `content.redacts` from v11, top-level `redacts` before
 * (servers often send both; either is accepted in any version).
 */
export function redactsOf(event: RoomEvent): string | undefined {
  const inContent = event.content['redacts'];
  if (typeof inContent === 'string') return inContent;
  return typeof event.redacts === 'string' ? event.redacts : undefined;
}
