/**
 * echo: a bot for rooms, and the smallest complete bridgekit plugin. Invite the bot to a
 * room, then (with the default prefix `!`, set by `bot.prefix`):
 *
 *   !echo <text>         answers with <text>, formatting kept
 *   !ping                answers with the round-trip time
 *   !whoami              your power level in the room, as the bridge sees it
 *   !op <user> <level>   sets a user's level: up to your own, and only for users below
 *                        you (needs power level 50)
 *   !makeadmin <user>    raises a user to 100 (needs 100, or being in bot.admins: the
 *                        way a homeserver admin takes over a room they sit at 0 in)
 *   !help                lists the commands
 *
 * bridgekit parses the commands, checks the power level each needs, and sends every
 * answer as a notice replying to the command with an idempotency key derived from the
 * command's event id: a handler retried after a crash never answers twice.
 *
 * The import is type-only: the plugin needs no bridgekit code at run time, so it works
 * with whichever copy of bridgekit loads it.
 */
import type { BotCommand, BridgePlugin, CommandInvocation } from 'matrix-bridgekit';

/** The level `!op` and `!makeadmin` need, and the level `!makeadmin` grants. */
const MODERATOR = 50;
const ADMIN = 100;

const USER_ID = /^@[^:\s]+:\S+$/;

function levelText(level: number): string {
  return Number.isFinite(level) ? String(level) : 'infinite (you created the room)';
}

async function raise(invocation: CommandInvocation, target: string, level: number): Promise<void> {
  const result = await invocation.makeRoomAdmin(target, level);
  if (!result.granted) await invocation.reply(`I cannot do that: ${result.reason}`);
  else if (!result.changed) await invocation.reply(`${target} already has power level ${level}.`);
  else await invocation.reply(`${target} now has power level ${level}.`);
}

const echo: BotCommand = {
  name: 'echo',
  summary: 'answers with your text, formatting kept',
  usage: '<text>',
  minArgs: 1,
  run: (invocation) => invocation.reply(invocation.rest, invocation.restHtml),
};

const ping: BotCommand = {
  name: 'ping',
  summary: 'answers with the round-trip time',
  async run(invocation) {
    const ms = Math.max(0, Date.now() - invocation.message.ts);
    await invocation.reply(`pong (${ms} ms from your message to this answer)`);
  },
};

const whoami: BotCommand = {
  name: 'whoami',
  summary: 'your power level in this room',
  run: (invocation) => invocation.reply(`${invocation.sender}, your power level here is ${levelText(invocation.senderLevel)}.`),
};

const op: BotCommand = {
  name: 'op',
  summary: 'sets the power level of a user below you, up to your own',
  usage: '<user> <level>',
  powerLevel: MODERATOR,
  minArgs: 2,
  async run(invocation) {
    const [target = '', levelArg = ''] = invocation.args;
    const level = /^-?\d{1,15}$/.test(levelArg) ? Number(levelArg) : Number.NaN;
    if (!USER_ID.test(target) || !Number.isSafeInteger(level)) {
      await invocation.reply(`${invocation.usage} (a user ID and a whole number, e.g. @alice:example.org 50)`);
      return;
    }
    // The bot may hold more power than the sender: it must not lend it out. The room's rule
    // for the sender decides (raise above their own level, or change someone at or above it:
    // no); makeRoomAdmin asks it again, so no other command can skip it.
    if (!invocation.bridgeAdmin) {
      const verdict = await invocation.room.canSetUserLevel(invocation.sender, target, level);
      if (!verdict.allowed) {
        await invocation.reply(`You cannot do that: ${verdict.reason}.`);
        return;
      }
    }
    await raise(invocation, target, level);
  },
};

const makeadmin: BotCommand = {
  name: 'makeadmin',
  summary: `makes a user room admin (power level ${ADMIN})`,
  usage: '<user>',
  powerLevel: ADMIN,
  minArgs: 1,
  async run(invocation) {
    const [target = ''] = invocation.args;
    if (!USER_ID.test(target)) {
      await invocation.reply(`${invocation.usage} (a user ID, e.g. @alice:example.org)`);
      return;
    }
    await raise(invocation, target, ADMIN);
  },
};

const plugin: BridgePlugin = {
  name: 'echo',
  // echo relays nothing anywhere, so it turns nothing away: people in its rooms talk,
  // edit, react and share files as usual without a "cannot carry" notice.
  capabilities: { messages: true, edits: true, reactions: true, redactions: true, replies: true, threads: true, media: true },
  commands: [echo, ping, whoami, op, makeadmin],
  async start(ctx) {
    ctx.logger.info({ bot: ctx.bot.userId }, 'echo bot ready: invite it to a room');
  },
};

export default plugin;
