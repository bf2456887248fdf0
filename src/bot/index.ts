/** The bridge bot: commands, auto-join, management rooms, make room admin. */
export type { BotCommand, CommandInvocation } from './command.js';
export { BotCommands, type BotCommandsOptions } from './commands.js';
export { RoomAdmin, RoomAdminRefused, type RoomAdminResult, type RoomAdminOptions } from './room-admin.js';
export { MANAGEMENT_MARKER, ManagementRooms, type ManagementRoomsOptions } from './management-rooms.js';
export { InvitePolicy, type BotConfig } from './invite-policy.js';
export { parseCommandLine, splitArgs, type CommandLine, type CommandSyntax, type CommandText } from './command-line.js';
export { Replier } from './replier.js';
