/**
 * The `can…` questions answered by the room version's auth rules alone: what a homeserver
 * accepts from another server over federation. Bridges sending through the client-server
 * API want the endpoint predictions (the plain `can…` exports) instead.
 */
export {
  canSendMessage, canSendState, canChangeMembership, canInvite, canKick, canBan, canUnban,
  canJoin, canKnock, canLeave, canRedact, canChangePowerLevels, canNotify, requiredLevel,
} from './can.js';
export { canSetUserLevel } from './user-level.js';
