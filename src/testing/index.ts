/**
 * matrix-bridgekit/testing: an in-process homeserver for testing bridges.
 * See README.md in this folder.
 */
export { TestHomeserver, type TestHomeserverOptions, type TestUser, type RestartOptions } from './homeserver.js';
export { TestClient, TestClientError, type CreateRoomOptions } from './test-client.js';
export type { TransactionAttempt, EphemeralKey } from './appservice-pusher.js';
export type { AppserviceOutcome } from './appservice-api.js';
export type { RateLimitFault, ErrorFault, DelayFault, RequestMatch, RequestRecord } from './faults.js';
export type { Membership } from './room.js';
export type { PresenceValue } from './users.js';
export { waitUntil } from './wait.js';
export { TestBridge, type TestBridgeOptions } from './bridge.js';
