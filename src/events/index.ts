export * from './types.js';
export { ShapeError } from './validate.js';
export { parseRoomEvent, parseEphemeralEvent, parseToDeviceMessage, parseTransaction } from './parse.js';
export { parseDeviceChanges } from './device-changes.js';
export { inviteStateOf, type StrippedStateEvent } from './invite-state.js';
