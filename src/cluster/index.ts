/** Several processes sharing one store (issue #21). */
export { RoomCaches, SOLE_OWNER, type RoomOwnership } from './room-caches.js';
