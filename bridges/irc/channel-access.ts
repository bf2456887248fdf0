/**
 * Opening channels and finding IRC users on demand: the homeserver's alias query for
 * `#_irc_<channel>`, the `!irc join` command, and the user query for `@_irc_<nick>`.
 */
import type { RemoteChannel, RemoteUser } from 'matrix-bridgekit';
import { BOT_KEY } from './connections.js';
import type { Core } from './core.js';
import type { Forwarded } from './forwarded.js';
import { stripFormatting } from './irc-style.js';
import { ircLower, isValidNick, sameNick } from './nicks.js';
import { channelName } from './portals.js';

/** How long the bot may take to join a channel when asked (inside the homeserver's query timeout). */
const JOIN_TIMEOUT_MS = 8_000;
const NAMES_TIMEOUT_MS = 3_000;

export class ChannelAccess {
  constructor(private readonly core: Core) {}

  /** Bridges the channel: the bot joins it (and stays), and its topic is read. */
  async open(name: string): Promise<RemoteChannel> {
    if (!this.core.bridged.allowed(name)) throw new Error(`${name} may not be bridged here`);
    await this.core.bridged.add(name);
    const { connections } = this.core;
    const bot = connections.bot;
    bot.want(name);
    if (!connections.botHere) {
      // The bot runs in another process (cluster mode): it joins there; its topic comes later, from there.
      await this.core.ctx.leases.send(BOT_KEY, { op: 'want', channel: name } satisfies Forwarded);
      return this.core.bridged.remote(name);
    }
    await bot.ready(name, AbortSignal.timeout(JOIN_TIMEOUT_MS));
    await this.core.channels.whenSynced(name, NAMES_TIMEOUT_MS);
    const topic = this.core.channels.get(name)?.topic;
    return this.core.bridged.remote(name, topic !== undefined ? stripFormatting(topic) : undefined);
  }

  /** The alias query: a channel id that reads as an allowed channel is opened. */
  async lookupChannel(id: string): Promise<RemoteChannel | undefined> {
    const name = channelName(id);
    if (name === undefined || !this.core.bridged.allowed(name)) return undefined;
    return this.open(name);
  }

  /** `!irc join`: opens the channel and makes sure its portal exists; returns the room id. */
  async portalFor(name: string): Promise<string> {
    const channel = await this.open(name);
    const result = await this.core.ctx.remote.push({ kind: 'channel', channel });
    if (result.roomId === undefined) throw new Error(`no portal for ${name}`);
    return result.roomId;
  }

  /** The user query: a ghost exists for a nick that is on IRC now (never for the bridge's own). */
  async lookupUser(id: string): Promise<RemoteUser | undefined> {
    const nick = this.core.identities.nickOf(id);
    if (nick === undefined || !isValidNick(nick, 64) || this.core.connections.isOurs(nick)) return undefined;
    for (const state of this.core.channels.all()) {
      const member = state.members.get(ircLower(nick));
      if (member) return { id, displayName: member.nick };
    }
    const replies = await this.core.connections.bot.query(
      ['WHOIS', nick],
      (l) => ['311', '318', '401'].includes(l.command) && l.params[1] !== undefined && sameNick(l.params[1], nick),
      (l) => l.command === '318' || l.command === '401',
      JOIN_TIMEOUT_MS,
    );
    const found = replies.find((l) => l.command === '311')?.params[1];
    return found === undefined ? undefined : { id, displayName: found };
  }
}
