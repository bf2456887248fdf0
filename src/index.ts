export * from './events/index.js';
export * from './store/index.js';
export * from './config/index.js';
export * from './registration/index.js';
export { createLogger, silentLogger, type Logger } from './log/logger.js';
export * from './homeserver/index.js';
