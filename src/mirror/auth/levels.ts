import type { JsonObject } from '../../events/types.js';
import { isObject } from '../../events/validate.js';
import type { RoomVersionRules } from '../versions.js';

/**
 * Reading power-level values the way each room version allows:
 * v1–v5 accept floats (truncated toward zero) and integer strings; v6–v9 integers and
 * integer strings; v10+ integers only. Returns undefined for a value the version rejects.
 */
export function parseLevel(value: unknown, rules: RoomVersionRules): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    if (Number.isInteger(value)) {
      // v6+ enforce canonical JSON, whose integers stay within ±(2^53 − 1).
      return rules.floatPowerLevels || Number.isSafeInteger(value) ? value : undefined;
    }
    return rules.floatPowerLevels ? Math.trunc(value) + 0 : undefined;
  }
  if (typeof value === 'string' && rules.stringPowerLevels) {
    // "a single base 10 integer … optionally prefixed with - or + … optionally with
    // leading or trailing whitespace" (spec fragment v1-stringy-power-levels).
    if (!/^\s*[+-]?\d+\s*$/.test(value)) return undefined;
    const parsed = Number(value.trim());
    return Number.isSafeInteger(parsed) ? parsed + 0 : undefined;
  }
  return undefined;
}

/** The top-level level keys and their defaults (client-server spec, m.room.power_levels). */
export const LEVEL_DEFAULTS = {
  users_default: 0,
  events_default: 0,
  state_default: 50,
  ban: 50,
  kick: 50,
  redact: 50,
  invite: 0,
} as const;

export type LevelKey = keyof typeof LEVEL_DEFAULTS;
export const LEVEL_KEYS = Object.keys(LEVEL_DEFAULTS) as LevelKey[];

/** The default of `notifications.room`; other notification keys have none in the spec. */
export const NOTIFICATIONS_ROOM_DEFAULT = 50;

/** A power-levels event with every default filled in and every value a number. */
export interface PowerLevels {
  /** Whether the room has an m.room.power_levels event at all. */
  readonly present: boolean;
  readonly levels: Readonly<Record<LevelKey, number>>;
  readonly events: ReadonlyMap<string, number>;
  readonly notifications: ReadonlyMap<string, number>;
  readonly users: ReadonlyMap<string, number>;
}

const resolved = new WeakMap<JsonObject, { rulesId: string; value: PowerLevels }>();

const ABSENT: PowerLevels = Object.freeze({
  present: false,
  levels: { ...LEVEL_DEFAULTS },
  events: new Map(),
  notifications: new Map(),
  users: new Map(),
});

/**
 * Fills in defaults. A value the version does not accept counts as missing (the
 * homeserver accepted the event, so the mirror reads it as leniently as it can).
 * Memoised per content object, as rooms ask this for every question.
 */
export function resolvePowerLevels(content: JsonObject | undefined, rules: RoomVersionRules): PowerLevels {
  if (!content) return ABSENT;
  const hit = resolved.get(content);
  if (hit && hit.rulesId === rules.id) return hit.value;
  const levels: Record<LevelKey, number> = { ...LEVEL_DEFAULTS };
  for (const key of LEVEL_KEYS) {
    const level = parseLevel(content[key], rules);
    if (level !== undefined) levels[key] = level;
  }
  const value: PowerLevels = {
    present: true,
    levels,
    events: levelMap(content['events'], rules),
    notifications: levelMap(content['notifications'], rules),
    users: levelMap(content['users'], rules),
  };
  resolved.set(content, { rulesId: rules.id, value });
  return value;
}

function levelMap(value: unknown, rules: RoomVersionRules): Map<string, number> {
  const out = new Map<string, number>();
  if (!isObject(value)) return out;
  for (const [key, raw] of Object.entries(value)) {
    const level = parseLevel(raw, rules);
    if (level !== undefined) out.set(key, level);
  }
  return out;
}

/** The level needed to send an event of a type (events[type], else state/events default). */
export function sendLevel(pl: PowerLevels, type: string, isState: boolean): number {
  return pl.events.get(type) ?? (isState ? pl.levels.state_default : pl.levels.events_default);
}

export function notificationLevel(pl: PowerLevels, key: string): number {
  return pl.notifications.get(key) ?? (key === 'room' ? NOTIFICATIONS_ROOM_DEFAULT : 50);
}
