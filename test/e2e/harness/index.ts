/** The end-to-end tier's harness: a real homeserver, real users, real bridges. See test/e2e/README.md. */
export { e2e, type E2eContext } from './context.js';
export { APPSERVICES, type AppserviceName, type E2eAppservice } from './appservices.js';
export { e2eEnv, envProblems, type E2eEnv } from './env.js';
export { Synapse } from './synapse.js';
export { E2eUser, inReplyTo, bodyOf } from './users.js';
export { E2eBridge, WARN, type E2eBridgeOptions, type LogRecord } from './bridge.js';
export { eventually, sleep, E2E_WAIT_MS } from './wait.js';
export { recordingPlugin, Recording, type HandledMessage } from './recorder.js';
export { TransactionProxy, type ProxiedRequest } from './proxy.js';
