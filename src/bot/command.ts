import type { HandlerScope } from '../plugin/contract.js';
import type { MatrixMessage } from '../plugin/matrix-events.js';
import type { PluginRoomView } from '../plugin/services.js';
import type { RoomAdminResult } from './room-admin.js';
import type { PermissionLevel } from '../permissions/index.js';

/** What a command's `run` gets. */
export interface CommandInvocation {
  /** The command's name, lowercased (`echo` for `!Echo hi`). */
  readonly name: string;
  /** Arguments after the command name, split like a shell (quotes group words). */
  readonly args: readonly string[];
  /** Everything after the command name, as typed. */
  readonly rest: string;
  /** `rest` as HTML (the command stripped from `formatted_body`), when the message had HTML. */
  readonly restHtml?: string;
  readonly sender: string;
  readonly roomId: string;
  readonly message: MatrixMessage;
  readonly room: PluginRoomView;
  readonly scope: HandlerScope;
  /** A bridge admin (`bot.admins`, or `admin` in config `permissions`): passed the power check whatever its level. */
  readonly bridgeAdmin: boolean;
  /** The sender's bridge permission (config `permissions`). */
  readonly permission: PermissionLevel;
  /** The sender's power level in the room, as the mirror sees it (infinite for v12 creators). */
  readonly senderLevel: number;
  /** `Usage: !op <user> <level>`, with the configured prefix: for answering a malformed call. */
  readonly usage: string;
  /** True in the sender's management room (the bot's direct chat with them). */
  readonly inManagementRoom: boolean;
  /**
   * Answers in the room as a notice from the bot, as a reply to the command. Each call has
   * its own idempotency key derived from the command's event id, so a retried handler that
   * replies in the same order posts nothing twice.
   */
  reply(text: string, html?: string): Promise<void>;
  /**
   * Sets `target` to `level` in this room, acting as a user the bridge controls (the bot or
   * a joined ghost) that may, and only when the sender could make that change themselves
   * (they outrank the target's current level, unless it is their own, and `level` is at
   * most theirs; `bot.admins` are exempt). A refusal is a result, not an error: its
   * `reason` is meant for the person who asked.
   */
  makeRoomAdmin(target: string, level: number): Promise<RoomAdminResult>;
}

/** A bot command, e.g. `!webhook create <name>`. */
export interface BotCommand {
  /** What follows the prefix; matched case-insensitively. */
  readonly name: string;
  readonly summary: string;
  /** e.g. `<name>`; shown by help. */
  readonly usage?: string;
  /** Bridge permission the sender needs (config `permissions`; default `user`). */
  readonly permission?: PermissionLevel;
  /** Power level the sender needs in the room (default 0). */
  readonly powerLevel?: number;
  /** Fewest arguments; fewer gets the usage line. */
  readonly minArgs?: number;
  run(invocation: CommandInvocation): Promise<void>;
}
