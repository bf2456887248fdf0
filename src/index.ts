export * from './events/index.js';
export * from './store/index.js';
export * from './config/index.js';
export * from './registration/index.js';
export { createLogger, silentLogger, type Logger } from './log/logger.js';
export * from './homeserver/index.js';
// The plugin contract and the bot's command types: what bridges/ build against.
export { definePlugin } from './plugin/contract.js';
export type { BridgePlugin, PluginContext, HandlerScope, Capabilities, Capability } from './plugin/contract.js';
export type { BotCommand, CommandInvocation } from './bot/command.js';
export type {
  RemoteEvent, RemoteUser, RemoteChannel, PushResult,
  MatrixMessage, EncryptionInfo, UndecryptableEvent, MatrixEdit, MatrixReaction, MatrixRedaction, MembershipChange, StateChange, PresenceUpdate,
} from './plugin/contract.js';
export type { PluginRoomView, PluginPuppet, PluginPuppets } from './plugin/services.js';
export type { KeyValue } from './plugin/kv.js';
export type { PluginHttp, PluginRequest, PluginResponse, PluginRouteHandler, PluginRouteOptions } from './plugin/http.js';
export { RoomAdminRefused, type RoomAdminResult } from './bot/room-admin.js';
export * from './mirror/index.js';
export { TokenBucket } from './util/token-bucket.js';
export type { Mentions } from './puppets/content/text.js';
