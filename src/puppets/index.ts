/** Puppets: the bot and the virtual users a bridge acts as. */
export { Puppets, type PuppetsOptions } from './puppets.js';
export { Puppet } from './puppet.js';
export { NotAPuppetError, PermissionDenied, MIRROR_CANNOT_JUDGE, type PermissionDeniedInit } from './errors.js';
export type { PuppetMirror, UnjudgedRoomPolicy, RequestControls } from './context.js';
export type { JoinOptions, ReasonOptions } from './membership.js';
export type { SendOptions, MessageOptions, MediaUpload, RedactOptions } from './messages.js';
export type { StateOptions } from './state.js';
export type { RoomProfile } from './profile.js';
export type { ReceiptOptions } from './ephemeral.js';
export type { CreateRoomOptions, SpaceLinkOptions } from './rooms.js';
export { Typing, type TypingOptions } from './typing.js';
export { sha256Hex, type MediaData } from './uploads.js';
export { UNECHOED_SECTION } from './unechoed.js';
export { UPLOADS_SECTION } from './uploads.js';
export { PROFILES_SECTION } from './profile-records.js';
export * from './content/index.js';
