import type { Logger } from '../log/logger.js';
import { formatLevel, type Mirror, type RoomView } from '../mirror/index.js';
import type { HandlerScope } from '../plugin/contract.js';
import type { MatrixMessage } from '../plugin/matrix-events.js';
import { PermissionDenied, type Puppet } from '../puppets/index.js';
import type { BotCommand, CommandInvocation } from './command.js';
import type { CommandLine } from './command-line.js';
import { HELP_NAME, helpText } from './help.js';
import { Replier } from './replier.js';
import type { RoomAdmin } from './room-admin.js';
import type { PermissionCheck } from '../permissions/index.js';

export interface CommandRunnerOptions {
  readonly commands: readonly BotCommand[];
  readonly prefix: string;
  /** Who may use the bridge; its `admin`s pass every power check (config `permissions` and `bot.admins`). */
  readonly permissions: PermissionCheck;
  readonly bot: Puppet;
  readonly mirror: Pick<Mirror, 'room' | 'resync'>;
  readonly admin: RoomAdmin;
  readonly logger: Logger;
}

/** Where and how a command was sent. */
export interface CommandSource {
  readonly line: CommandLine;
  readonly message: MatrixMessage;
  readonly room: RoomView;
  readonly scope: HandlerScope;
  readonly inManagementRoom: boolean;
}

/**
 * Runs one command: finds it (or answers that it is unknown), checks the sender's power
 * level with the mirror and the argument count, then runs it. Refusals are answered as
 * notices replying to the command.
 */
export class CommandRunner {
  private readonly byName = new Map<string, BotCommand>();

  constructor(private readonly options: CommandRunnerOptions) {
    for (const command of options.commands) {
      const name = command.name.toLowerCase();
      if (name === HELP_NAME || this.byName.has(name) || /\s/.test(name) || name === '') {
        options.logger.warn({ command: command.name }, 'bot command ignored: its name is empty, taken, or built in');
        continue;
      }
      this.byName.set(name, command);
    }
  }

  /** `help`, or a command the plugin declared. */
  knows(name: string): boolean {
    return name === HELP_NAME || this.byName.has(name);
  }

  async run(source: CommandSource): Promise<void> {
    const { line, message } = source;
    const replier = new Replier(this.options.bot, message);
    const reply = (text: string, html?: string) => replier.reply(text, html);
    const log = source.scope.logger.child({ roomId: message.roomId, eventId: message.eventId, command: line.name });
    const prefix = this.options.prefix;
    if (line.name === HELP_NAME) {
      const help = helpText([...this.byName.values()], prefix, source.inManagementRoom);
      await reply(help.text, help.html);
      return;
    }
    const command = this.byName.get(line.name);
    const permission = this.options.permissions.levelOf(message.sender);
    if (permission === 'none') {
      // The bridge is not theirs to use: no answer beyond saying so, once per command.
      log.info({ sender: message.sender }, 'bot command refused: the sender may not use this bridge');
      await reply('You are not allowed to use this bridge.');
      return;
    }
    if (!command) {
      log.info('unknown bot command');
      await reply(`Unknown command "${line.name}". Send ${prefix}${HELP_NAME} for the list of commands.`);
      return;
    }
    const room = await this.roomForLevels(source.room, command, log);
    if (!room) {
      await reply(`I do not know this room's power levels yet, so I cannot check ${prefix}${command.name}. Please try again shortly.`);
      return;
    }
    const needed = command.permission ?? 'user';
    if (!this.options.permissions.allows(message.sender, needed)) {
      log.info({ needed, permission, sender: message.sender }, 'bot command refused: bridge permission too low');
      await reply(`${prefix}${command.name} needs the bridge permission "${needed}"; you have "${permission}".`);
      return;
    }
    const required = command.powerLevel ?? 0;
    const actual = room.powerLevel(message.sender);
    const bridgeAdmin = permission === 'admin';
    if (actual < required && !bridgeAdmin) {
      log.info({ required, actual, sender: message.sender }, 'bot command refused: power level too low');
      await reply(`${prefix}${command.name} needs power level ${formatLevel(required)} in this room; you have ${formatLevel(actual)}.`);
      return;
    }
    const usage = `Usage: ${prefix}${command.name}${command.usage ? ` ${command.usage}` : ''}`;
    if (line.args.length < (command.minArgs ?? 0)) {
      await reply(usage);
      return;
    }
    const invocation: CommandInvocation = {
      name: line.name,
      args: line.args,
      rest: line.rest,
      ...(line.restHtml !== undefined ? { restHtml: line.restHtml } : {}),
      sender: message.sender,
      roomId: message.roomId,
      message,
      room,
      scope: source.scope,
      senderLevel: actual,
      bridgeAdmin,
      permission,
      usage,
      inManagementRoom: source.inManagementRoom,
      reply,
      // For the sender: only a change they could make themselves (bridge admins excepted).
      makeRoomAdmin: (target, level) => this.options.admin.grant(message.roomId, target, level, bridgeAdmin ? undefined : message.sender),
    };
    try {
      await command.run(invocation);
    } catch (err) {
      // The engine's refusal will not change on a retry: say so instead of retrying.
      if (!(err instanceof PermissionDenied)) throw err;
      log.info({ rule: err.rule, action: err.action }, 'bot command refused by the permission engine');
      await reply(`${prefix}${command.name} failed: ${err.userId} may not ${err.action} here (${err.verdict.reason}).`);
    }
    log.debug('bot command done');
  }

  /** The view to check levels with; refetched once when the mirror lacks the room's state and a level matters. */
  private async roomForLevels(room: RoomView, command: BotCommand, log: Logger): Promise<RoomView | undefined> {
    if (room.hydrated || (command.powerLevel ?? 0) <= 0) return room;
    try {
      await this.options.mirror.resync(room.roomId);
    } catch (err) {
      log.warn({ err }, 'could not refetch the room state to check a command\'s power level');
      return undefined;
    }
    const again = await this.options.mirror.room(room.roomId);
    return again?.hydrated ? again : undefined;
  }
}
