/**
 * The pure, synchronous permission engine: the auth rules of room versions 1–12 over a
 * small read interface (`AuthState`), usable on any in-memory room.
 */
export type { AuthState, Membership, ProposedEvent, StateEntry, Verdict } from './types.js';
export { MEMBERSHIPS, isMembership } from './types.js';
export { authorizeEvent, authorizeCreate } from './authorize.js';
/** Endpoint predictions: what the homeserver's client-server API will answer (use before sending). */
export {
  canSendMessage, canSendState, canChangeMembership, canInvite, canKick, canBan, canUnban,
  canJoin, canKnock, canLeave, canRedact, canChangePowerLevels, canSetUserLevel, canNotify, requiredLevel,
} from './endpoints.js';
/** The same questions by the auth rules alone (for events received over federation). */
export * as authRules from './auth-rules.js';
export { checkEndpointEvent, MAX_EVENT_BYTES, type EndpointEvent } from './endpoint-content.js';
export { serverAllowedByAcl } from './server-acl.js';
export { whoCanGrant, type GrantAnswer, type Refusal } from './grant.js';
export { powerLevel, isCreator, roomAuth, powerLevelIn, type RoomAuth } from './power.js';
export { creatorsOf, additionalCreators, roomTypeOf, isUserId } from './creators.js';
export {
  parseLevel, resolvePowerLevels, sendLevel, notificationLevel, LEVEL_DEFAULTS, LEVEL_KEYS,
  NOTIFICATIONS_ROOM_DEFAULT, type PowerLevels, type LevelKey,
} from './levels.js';
export { joinRuleIn } from './membership.js';
export { authRule, CsRules, EndpointRules, type AuthRuleName } from './rule-refs.js';
export { formatLevel } from './verdict.js';
