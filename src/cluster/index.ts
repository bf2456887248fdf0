/** Several processes sharing one store (issue #21). */
export { RoomCaches, SOLE_OWNER, type RoomOwnership } from './room-caches.js';
export { SharedInbox, type ClusterSettings, type ClusterHooks } from './shared-inbox.js';
export { Membership, type MembershipOptions } from './membership.js';
export { clusterSettings } from './settings.js';
export { importSharedJournal } from './import-shared.js';
