export { RoomCaches } from './room-caches.js';
export { SharedInbox, type ClusterSettings, type ClusterHooks } from './shared-inbox.js';
export { Membership, type MembershipOptions } from './membership.js';
export { clusterSettings } from './settings.js';
