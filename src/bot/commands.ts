import type { JsonObject } from '../events/types.js';
import type { Logger } from '../log/logger.js';
import type { Mirror, RoomView } from '../mirror/index.js';
import type { BridgePlugin, HandlerScope } from '../plugin/contract.js';
import type { ClassifiedEvent, MatrixMessage } from '../plugin/matrix-events.js';
import { PermissionDenied, type Puppets } from '../puppets/index.js';
import type { Namespaces } from '../registration/index.js';
import type { Section, Store } from '../store/index.js';
import { BotMembership } from './bot-membership.js';
import { parseCommandLine } from './command-line.js';
import { InvitePolicy, type BotConfig } from './invite-policy.js';
import { ManagementRooms } from './management-rooms.js';
import { RoomAdmin, type RoomAdminResult } from './room-admin.js';
import { CommandRunner } from './runner.js';
import type { BotCommand } from './command.js';
import { Permissions, type PermissionCheck } from '../permissions/index.js';
import type { RoomOwnership } from '../cluster/room-caches.js';

export interface BotCommandsOptions {
  readonly plugin: Pick<BridgePlugin<unknown>, 'commands'>;
  readonly puppets: Puppets;
  readonly mirror: Pick<Mirror, 'room' | 'resync' | 'forget'>;
  readonly namespaces: Namespaces;
  /** The `bot` section of the config: prefix and who may invite. */
  readonly config: BotConfig;
  /** Who may use the bridge (config `permissions`, with `bot.admins` as admins); default: anyone, `bot.admins` admin. */
  readonly permissions?: PermissionCheck;
  /** Commands bridgekit adds (logins, relay), after the plugin's. */
  readonly builtins?: readonly BotCommand[];
  /** Gets first look at messages in management rooms (answers to a login's questions); true when it took one. */
  readonly conversation?: { take(message: MatrixMessage): Promise<boolean> };
  /** Where management rooms are remembered (`Sections.botManagementRooms`). */
  readonly managementSection: Section<string>;
  /** The room's current power levels from the homeserver, read as `asUser`. */
  readonly readPowerLevels: (roomId: string, asUser: string) => Promise<JsonObject | undefined>;
  readonly logger: Logger;
  /** Which rooms this process holds (several processes, issue #21); default all. */
  readonly ownership?: RoomOwnership;
  /** Named locks of the store: a management room is created once among processes. */
  readonly locks?: Pick<Store, 'withLock'>;
}

/**
 * The bridge bot: commands (the plugin's and `help`), auto-join on invite, management
 * rooms, and "make room admin". `intercept` gets first look at every room event the
 * plugin host handles.
 */
export class BotCommands {
  private readonly membership: BotMembership;
  private readonly runner: CommandRunner;
  private readonly managementRooms: ManagementRooms;
  private readonly admin: RoomAdmin;

  constructor(private readonly options: BotCommandsOptions) {
    const { puppets, namespaces, logger } = options;
    const isControlled = (userId: string) => namespaces.isControlledUser(userId);
    const log = logger.child({ component: 'bot' });
    this.managementRooms = new ManagementRooms({
      section: options.managementSection, bot: puppets.bot, mirror: options.mirror, isControlled, logger: log,
      ...(options.ownership ? { ownership: options.ownership } : {}), ...(options.locks ? { locks: options.locks } : {}),
    });
    this.admin = new RoomAdmin({ puppets, mirror: options.mirror, readPowerLevels: options.readPowerLevels, logger: log });
    this.membership = new BotMembership({
      bot: puppets.bot,
      mirror: options.mirror,
      policy: new InvitePolicy(options.config.invites, namespaces.domain, isControlled),
      managementRooms: this.managementRooms,
      isControlled,
      logger: log,
    });
    this.runner = new CommandRunner({
      commands: [...options.plugin.commands ?? [], ...options.builtins ?? []], prefix: options.config.prefix,
      permissions: options.permissions ?? new Permissions(undefined, options.config.admins), bot: puppets.bot, mirror: options.mirror, admin: this.admin, logger: log,
    });
  }

  /**
   * True when the bot took the event (a command, its own invite, its management-room marker);
   * the plugin then does not see it. Most events are messages that cannot be a command:
   * those are answered at once, without an async call.
   */
  intercept(event: ClassifiedEvent, room: RoomView, scope: HandlerScope): boolean | Promise<boolean> {
    if (event.kind === 'message' ? !this.mayBeCommand(event.value) : event.kind !== 'membership' && event.kind !== 'state') return false;
    return this.interceptAsync(event, room, scope);
  }

  private async interceptAsync(event: ClassifiedEvent, room: RoomView, scope: HandlerScope): Promise<boolean> {
    try {
      if (event.kind === 'membership') return await this.membership.handle(event.value);
      if (event.kind === 'message') return await this.command(event.value, room, scope);
      if (event.kind === 'state') return await this.managementRooms.markerSeen(event.value);
      return false;
    } catch (err) {
      // A refusal by the permission engine (the bot may not speak or join here) does not
      // change on a retry: log it and drop the event instead of retrying it.
      if (!(err instanceof PermissionDenied)) throw err;
      scope.logger.warn({ roomId: room.roomId, eventId: eventIdOf(event), action: err.action, rule: err.rule }, `bot: ${err.message}`);
      return true;
    }
  }

  /** Raises `target` to `level` acting as a user the bridge controls; throws `RoomAdminRefused` with the reasons when none may. */
  makeRoomAdmin(roomId: string, target: string, level = 100): Promise<{ readonly grantor?: string; readonly changed: boolean }> {
    return this.admin.makeRoomAdmin(roomId, target, level);
  }

  /** As `makeRoomAdmin`, with a refusal as a result; with `onBehalfOf`, only a change that user could make. */
  grantPowerLevel(roomId: string, target: string, level: number, onBehalfOf?: string): Promise<RoomAdminResult> {
    return this.admin.grant(roomId, target, level, onBehalfOf);
  }

  /** Whether the room is some user's management room. */
  async isManagementRoom(roomId: string): Promise<boolean> {
    return (await this.managementRooms.ownerOf(roomId)) !== undefined;
  }

  /** The room's lease moved (RoomCaches): whether it is a management room is read from the store next time. */
  forgetRoom(roomId: string): void {
    this.managementRooms.forgetRoom(roomId);
  }

  /** Fenced out of every room (RoomCaches). */
  forgetAllRooms(): void {
    this.managementRooms.forgetAll();
  }

  /** A management room was upgraded: the user's management room is its replacement now. False when it was none. */
  managementRoomUpgraded(oldRoomId: string, newRoomId: string): Promise<boolean> {
    return this.managementRooms.moved(oldRoomId, newRoomId);
  }

  /** The user's management room (a direct room with the bot), created on first use. */
  managementRoom(userId: string): Promise<string> {
    return this.managementRooms.managementRoom(userId);
  }

  /**
   * False when the message certainly is no command, from memory: never from the bridge's own
   * users (no loops), never from notices (other bots speak in notices), media or emotes;
   * outside a management room, only a line that starts with the prefix (or a reply, whose
   * quoted fallback comes first).
   */
  private mayBeCommand(message: MatrixMessage): boolean {
    if (this.options.namespaces.isControlledUser(message.sender) || message.msgtype !== 'm.text') return false;
    if (this.managementRooms.isManagementRoomKnown(message.roomId) !== false) return true;
    return message.replyTo !== undefined || message.body.trimStart().startsWith(this.options.config.prefix);
  }

  private async command(message: MatrixMessage, room: RoomView, scope: HandlerScope): Promise<boolean> {
    if (!this.mayBeCommand(message)) return false;
    const inManagementRoom = this.managementRooms.isManagementRoomKnown(message.roomId)
      ?? (await this.managementRooms.ownerOf(message.roomId)) !== undefined;
    if (inManagementRoom && await this.options.conversation?.take(message)) return true;
    const line = parseCommandLine(
      { body: message.body, ...(message.html !== undefined ? { html: message.html } : {}), isReply: message.replyTo !== undefined },
      { prefix: this.options.config.prefix, prefixOptional: inManagementRoom },
    );
    if (!line) return false;
    const botUserId = this.options.puppets.bot.userId;
    // Where the bot is not (a portal only ghosts are in), a command is just a message.
    if (await room.membership(botUserId) !== 'join') return false;
    // In a shared room a word the bot does not know is someone else's (the plugin's `!hello`,
    // another bot's): it goes on as a message. "Unknown command" is only for a management
    // room, or a message that mentions the bot.
    if (!this.runner.knows(line.name) && !inManagementRoom && !message.mentions?.userIds.includes(botUserId)) return false;
    await this.runner.run({ line, message, room, scope, inManagementRoom });
    return true;
  }
}

function eventIdOf(event: ClassifiedEvent): string {
  return event.kind === 'other' ? event.value.event_id : event.value.event.event_id;
}
