/**
 * `!irc join #channel`: bridges an IRC channel and invites the sender to its portal.
 * `!irc nick <nick>`: changes the sender's IRC nick (puppet mode).
 */
import type { BotCommand, CommandInvocation } from 'matrix-bridgekit';
import type { Core } from './core.js';
import type { Forwarded } from './forwarded.js';
import type { ChannelAccess } from './channel-access.js';
import { isValidChannel, isValidNick } from './nicks.js';
import { channelId } from './portals.js';

export interface CommandDeps {
  readonly core: () => Core;
  readonly access: () => ChannelAccess;
}

async function join(invocation: CommandInvocation, deps: CommandDeps, name: string | undefined): Promise<void> {
  const core = deps.core();
  if (name === undefined || !isValidChannel(name)) {
    await invocation.reply('Usage: irc join #channel');
    return;
  }
  if (!core.bridged.allowed(name)) {
    await invocation.reply(`${name} is not one of the channels this bridge may join.`);
    return;
  }
  let roomId: string;
  try {
    roomId = await deps.access().portalFor(name);
  } catch (err) {
    invocation.scope.logger.warn({ err, channel: name }, 'irc join failed');
    await invocation.reply(`Could not join ${name} on IRC: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  const alias = core.ctx.ghosts.alias(channelId(name));
  const room = await core.ctx.room(roomId);
  if ((await room?.membership(invocation.sender)) !== 'join') await core.ctx.bot.invite(roomId, invocation.sender);
  await invocation.reply(`${name} is bridged to ${alias}; you are invited.`);
}

async function nick(invocation: CommandInvocation, deps: CommandDeps, wanted: string | undefined): Promise<void> {
  const core = deps.core();
  if (!core.connections.mayPuppet(invocation.sender)) {
    await invocation.reply('You have no IRC connection of your own here: log in with your own nick (login) to have one.');
    return;
  }
  if (wanted === undefined || !isValidNick(wanted, core.config.server.maxNickLength)) {
    await invocation.reply('Usage: irc nick <nick> (letters, digits and []\\`_^{|}-, not starting with a digit)');
    return;
  }
  const connection = await core.connections.forUser(invocation.sender, undefined);
  if (!core.connections.runsHere(connection)) {
    // Cluster mode: the connection runs in another process, which changes the nick (and keeps it).
    await invocation.scope.forward(core.connections.keyOf(connection), { op: 'nick', nick: wanted } satisfies Forwarded);
    await invocation.reply(`Asked IRC for the nick ${wanted}: your connection runs in another bridge process, which changes it.`);
    return;
  }
  try {
    await connection.queue.send([['NICK', wanted]], undefined, core.config.sendTimeoutMs);
  } catch (err) {
    await invocation.reply(`Could not change your nick: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  await core.connections.rememberNick(invocation.sender);
  await invocation.reply(`Your IRC nick is ${connection.nick}.`);
}

export function ircCommands(deps: CommandDeps): BotCommand[] {
  return [{
    name: 'irc',
    summary: 'IRC: `join #channel` bridges a channel and invites you; `nick <nick>` sets your IRC nick',
    usage: 'join #channel | nick <nick>',
    minArgs: 1,
    async run(invocation) {
      const [sub = '', arg] = invocation.args;
      if (sub.toLowerCase() === 'join') await join(invocation, deps, arg);
      else if (sub.toLowerCase() === 'nick') await nick(invocation, deps, arg);
      else await invocation.reply(invocation.usage);
    },
  }];
}
