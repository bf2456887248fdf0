/** Several processes sharing one store (issue #21). */
export { RoomCaches, SOLE_OWNER, type RoomOwnership } from './room-caches.js';
export { SharedInbox } from './shared-inbox.js';
export type { ClusterSettings, ClusterHooks } from './settings.js';
export { Membership, type MembershipOptions } from './membership.js';
export { clusterSettings } from './settings.js';
export { importSharedJournal } from './import-shared.js';
export { ClusterConnectionLeases, connectionLeaseKey } from './connection-leases.js';
export { LocalConnectionLeases, type ConnectionLeaseService, type ForwardingSetup } from './local-leases.js';
export { ForwardQueue, type DeadForward, type ForwardRecord } from './forward-queue.js';
export type { HandlerForward } from './forwarder.js';
export { readClusterStatus, ORPHANS_SHOWN, type ClusterStatus, type ProcessStatus, type OrphanLane } from './cluster-status.js';
export { pendingItems } from './shared-journal.js';
