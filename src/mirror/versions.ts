/**
 * What changes from one room version to the next, as flags, so that the rest of the
 * mirror asks "does this room allow knocking?" rather than comparing version strings.
 * Sources: the "Room versions" section of the Matrix spec (v1.19), one page per version.
 */

export interface RoomVersionRules {
  /** The version string as found in the create event ("1" when absent). */
  readonly id: string;
  /** False for a version bridgekit does not know; it is then treated like the newest known. */
  readonly known: boolean;
  /** v1–v2: m.room.redaction has its own auth rule (redact level or same domain). */
  readonly specialCaseRedaction: boolean;
  /** v1–v5: m.room.aliases has its own auth rule and its `aliases` survive redaction. */
  readonly specialCaseAliases: boolean;
  /** v1–v5: power levels may be floats, truncated toward zero. */
  readonly floatPowerLevels: boolean;
  /** v1–v9: power levels may be strings holding an integer. */
  readonly stringPowerLevels: boolean;
  /** v6+: `notifications` is checked by the power-levels auth rule. */
  readonly notificationsInAuth: boolean;
  /** v7+: the `knock` membership and join rule. */
  readonly knocking: boolean;
  /** v8+: the `restricted` join rule and `join_authorised_via_users_server`. */
  readonly restrictedJoinRule: boolean;
  /** v10+: the `knock_restricted` join rule. */
  readonly knockRestrictedJoinRule: boolean;
  /** v10+: every power-levels value must be an integer. */
  readonly integerPowerLevels: boolean;
  /** v11+: the creator is the create event's `sender`, not `content.creator`. */
  readonly creatorIsCreateSender: boolean;
  /** v12+: creators (sender + `additional_creators`) have infinite power. */
  readonly privilegedCreators: boolean;
  /** v12+: the room ID is the create event's hash and has no server part. */
  readonly roomIdIsCreateHash: boolean;
  readonly redaction: RedactionRules;
}

export interface RedactionRules {
  /** v1–v5: m.room.aliases keeps `aliases`. */
  readonly keepAliases: boolean;
  /** v8+: m.room.join_rules keeps `allow`. */
  readonly keepJoinRulesAllow: boolean;
  /** v9+: m.room.member keeps `join_authorised_via_users_server`. */
  readonly keepJoinAuthorisedVia: boolean;
  /**
   * v11+: top-level origin/membership/prev_state go; m.room.create keeps all content;
   * m.room.redaction keeps `redacts`; power levels keep `invite`; member keeps
   * `third_party_invite.signed`.
   */
  readonly v11: boolean;
}

/** Versions bridgekit knows, oldest first. */
export const KNOWN_ROOM_VERSIONS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'] as const;

const NEWEST = 12;

/** The rules of a room version. Unknown versions get the newest known rules, marked `known: false`. */
export function roomVersionRules(version: string | undefined): RoomVersionRules {
  const id = version ?? '1';
  const cached = cache.get(id);
  if (cached) return cached;
  const parsed = (KNOWN_ROOM_VERSIONS as readonly string[]).includes(id) ? Number(id) : undefined;
  const n = parsed ?? NEWEST;
  const rules: RoomVersionRules = {
    id,
    known: parsed !== undefined,
    specialCaseRedaction: n <= 2,
    specialCaseAliases: n <= 5,
    floatPowerLevels: n <= 5,
    stringPowerLevels: n <= 9,
    notificationsInAuth: n >= 6,
    knocking: n >= 7,
    restrictedJoinRule: n >= 8,
    knockRestrictedJoinRule: n >= 10,
    integerPowerLevels: n >= 10,
    creatorIsCreateSender: n >= 11,
    privilegedCreators: n >= 12,
    roomIdIsCreateHash: n >= 12,
    redaction: {
      keepAliases: n <= 5,
      keepJoinRulesAllow: n >= 8,
      keepJoinAuthorisedVia: n >= 9,
      v11: n >= 11,
    },
  };
  cache.set(id, rules);
  return rules;
}

const cache = new Map<string, RoomVersionRules>();

/** The room version named by a create event's content ("1" when absent, as the spec says). */
export function roomVersionOf(createContent: { [key: string]: unknown } | undefined): string {
  const version = createContent?.['room_version'];
  return typeof version === 'string' ? version : '1';
}
