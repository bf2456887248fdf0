/** The room mirror: per-room state, membership and power levels, and the permission engine. */
export * from './auth/index.js';
export { roomVersionRules, roomVersionOf, KNOWN_ROOM_VERSIONS, type RoomVersionRules, type RedactionRules } from './versions.js';
export { redactEvent, redactContent, redactsOf } from './redaction.js';
export { spaceLink, sortChildren, parentLinkCounts, type SpaceLink } from './spaces.js';
export { MemoryRoomState } from './memory-state.js';
export { Mirror, type MirrorOptions, type ApplyOptions } from './mirror.js';
export { RoomView, type MemberInfo } from './room-view.js';
export { MembershipNotLoaded } from './entry-auth.js';
export { MirrorSections, type RoomRecord } from './layout.js';
