/**
 * IRC → Matrix. The bot's connection reads every bridged channel; its lines become
 * messages, memberships, power levels, topics and profile changes of ghosts. Puppet
 * connections only contribute private messages (DM rooms). Lines from the bridge's own
 * connections are never bridged back.
 */
import { randomUUID } from 'node:crypto';
import type { RemoteUser } from 'matrix-bridgekit';
import { isOperator, maskMatches, parseModes, type ChannelState } from './channels.js';
import { OPERATOR_LEVEL, syncPortal } from './channel-sync.js';
import type { Core } from './core.js';
import type { IrcConnection } from './connection.js';
import { ircToMatrix } from './formatting.js';
import { escapeHtml, userPill } from 'matrix-bridgekit';
import { stripFormatting } from './irc-style.js';
import { ircLower, isValidChannel, sameNick } from './nicks.js';
import { channelId, dmChannelId } from './portals.js';
import type { AwayWatch } from './presence.js';
import type { IrcLine } from './wire.js';

export class Inbound {
  constructor(private readonly core: Core, private readonly away: AwayWatch) {}

  onBotLine(line: IrcLine): void {
    switch (line.command) {
      case 'PRIVMSG':
      case 'NOTICE': return this.message(line);
      case 'JOIN': return this.join(line);
      case 'PART': return this.part(line);
      case 'QUIT': return this.quit(line);
      case 'KICK': return this.kick(line);
      case 'NICK': return this.nick(line);
      case 'MODE': return this.mode(line);
      case 'TOPIC': return this.topic(line.params[0], line.params[1] ?? '', line.nick);
      case '332': return this.topic(line.params[1], line.params[2] ?? '', undefined);
      case '353':
      case '366': return this.names(line);
      case 'AWAY':
        if (line.nick !== undefined && !this.core.connections.isOurs(line.nick)) this.away.changed(line.nick, line.params[0]);
        return;
      default:
    }
  }

  /** A puppet's line: only private messages to it matter (the bot sees the channels). */
  onPuppetLine(line: IrcLine, userId: string, connection: IrcConnection): void {
    if (line.command !== 'PRIVMSG' && line.command !== 'NOTICE') return;
    const [target, text] = line.params;
    const from = line.nick;
    if (from === undefined || target === undefined || text === undefined || !sameNick(target, connection.nick)) return;
    if (this.core.connections.isOurs(from)) return;
    this.direct(from, userId, line.command, text, line);
  }

  private user(nick: string): RemoteUser {
    return this.core.identities.user(nick);
  }

  /** A bridged channel the line is about, or undefined. */
  private bridged(name: string | undefined): string | undefined {
    return name !== undefined && isValidChannel(name) && this.core.bridged.has(name) ? name : undefined;
  }

  private message(line: IrcLine): void {
    const [target, text] = line.params;
    const from = line.nick;
    if (from === undefined || target === undefined || text === undefined) return;
    if (this.core.connections.isOurs(from)) return;
    if (!isValidChannel(target)) {
      this.toBot(from, line.command, text);
      return;
    }
    const channel = this.bridged(target);
    if (!channel) return;
    const parsed = parseMessage(line.command, text);
    if (!parsed) return;
    this.core.pusher.queue(channelId(channel), {
      kind: 'message', channel: this.core.bridged.remote(channel), sender: this.user(from),
      id: messageId(line), ...withAddressee(parsed, (nick) => this.core.connections.userForNick(nick)), ...timeOf(line),
    });
  }

  /** A private message to an IRC user's Matrix counterpart: into their direct room. */
  private direct(from: string, userId: string, command: string, text: string, line: IrcLine): void {
    const parsed = parseMessage(command, text);
    if (!parsed) return;
    const sender = this.user(from);
    const id = dmChannelId(sender.id, userId);
    this.core.pusher.queue(id, {
      kind: 'message', channel: { id, name: from, isDirect: true, invite: [userId] }, sender,
      id: messageId(line), ...parsed, ...timeOf(line),
    });
  }

  /** A private message to the bot: in relay mode, to the Matrix user last talking to that nick. */
  private toBot(from: string, command: string, text: string): void {
    const userId = this.core.relayPartners.get(ircLower(from));
    if (userId !== undefined) {
      this.direct(from, userId, command, text, { command, params: [], prefix: '', tags: new Map() });
      return;
    }
    if (command === 'PRIVMSG' && !text.startsWith('\x01')) {
      void this.core.connections.bot.control('NOTICE', from, 'I am the Matrix bridge bot: message a Matrix user\'s nick to reach them.').catch(() => undefined);
    }
  }

  private join(line: IrcLine): void {
    const channel = line.params[0];
    const from = line.nick;
    if (from === undefined || channel === undefined) return;
    if (sameNick(from, this.core.connections.bot.nick)) {
      this.core.channels.reset(channel);
      return;
    }
    const state = this.core.channels.get(channel);
    state?.members.set(ircLower(from), { nick: from, ...(line.ident ? { ident: line.ident } : {}), ...(line.host ? { host: line.host } : {}), modes: new Set() });
    if (this.core.connections.isOurs(from) || !this.bridged(channel)) return;
    this.core.pusher.queue(channelId(channel), { kind: 'membership', membership: 'join', channel: this.core.bridged.remote(channel), sender: this.user(from) });
  }

  private part(line: IrcLine): void {
    const [channel, message] = line.params;
    const from = line.nick;
    if (from === undefined || channel === undefined) return;
    if (sameNick(from, this.core.connections.bot.nick)) {
      this.core.channels.forget(channel);
      return;
    }
    this.core.channels.get(channel)?.members.delete(ircLower(from));
    if (this.core.connections.isOurs(from) || !this.bridged(channel)) return;
    this.leave(channel, from, message ? `Left IRC: ${message}` : undefined);
  }

  private leave(channel: string, nick: string, reason: string | undefined): void {
    this.core.pusher.queue(channelId(channel), {
      kind: 'membership', membership: 'leave', channel: this.core.bridged.remote(channel), sender: this.user(nick),
      ...(reason !== undefined ? { reason } : {}),
    });
  }

  private quit(line: IrcLine): void {
    const from = line.nick;
    if (from === undefined || this.core.connections.isOurs(from)) return;
    const reason = `Quit IRC${line.params[0] ? `: ${line.params[0]}` : ''}`;
    for (const state of this.core.channels.channelsOf(from)) {
      state.members.delete(ircLower(from));
      if (this.bridged(state.name)) this.leave(state.name, from, reason);
    }
    const user = this.user(from);
    this.away.gone(from);
    this.core.pusher.queue(`user:${user.id}`, { kind: 'presence', sender: user, presence: 'offline' });
    // After the leaves are queued (they resolved the ghost already): the nick is free now.
    this.core.identities.gone(from);
  }

  private kick(line: IrcLine): void {
    const [channel, target, message] = line.params;
    const by = line.nick ?? line.prefix;
    if (channel === undefined || target === undefined) return;
    const { connections } = this.core;
    this.core.channels.get(channel)?.members.delete(ircLower(target));
    if (sameNick(target, connections.bot.nick)) {
      this.core.channels.forget(channel);
      return;
    }
    if (!this.bridged(channel)) return;
    const reason = `Kicked on IRC by ${by}${message ? `: ${message}` : ''}`;
    const lane = channelId(channel);
    const remote = this.core.bridged.remote(channel);
    const puppetOwner = connections.userForNick(target);
    if (puppetOwner !== undefined) {
      // A Matrix user was kicked on IRC: mirrored by the bot, so the portal matches the channel.
      this.core.pusher.inLane(lane, async () => {
        const roomId = await this.core.ctx.mappings.roomForChannel(lane);
        if (roomId !== undefined) await this.core.ctx.bot.kick(roomId, puppetOwner, { reason });
        connections.releaseIfIdle(puppetOwner);
      });
      return;
    }
    if (connections.isOurs(by) || line.nick === undefined) {
      this.leave(channel, target, reason); // a Matrix user kicked them (already done in Matrix), or a server
      return;
    }
    this.core.pusher.inLane(lane, async () => {
      const result = await this.core.pusher.send({
        kind: 'membership', membership: 'kick', channel: remote, sender: this.user(by), target: this.user(target), reason: message ?? '',
      });
      // The kicker's ghost may not kick in Matrix: the kicked ghost leaves instead.
      if (!result || result.refused) await this.core.pusher.send({ kind: 'membership', membership: 'leave', channel: remote, sender: this.user(target), reason });
    });
  }

  private nick(line: IrcLine): void {
    const from = line.nick;
    const to = line.params[0];
    if (from === undefined || to === undefined || to === '') return;
    this.core.channels.rename(from, to);
    if (this.core.connections.isOurs(from) || this.core.connections.isOurs(to)) return;
    const id = this.core.identities.renamed(from, to);
    this.away.renamed(from, to);
    this.core.pusher.queue(`user:${id}`, { kind: 'profile', sender: { id, displayName: to } });
  }

  private mode(line: IrcLine): void {
    const [channel, modes, ...params] = line.params;
    if (channel === undefined || modes === undefined || !isValidChannel(channel)) return;
    const state = this.core.channels.get(channel);
    const setter = line.nick;
    const bySetter = setter !== undefined && !this.core.connections.isOurs(setter) ? this.user(setter) : undefined;
    const sender: RemoteUser = bySetter ?? { id: ircLower(setter ?? line.prefix) || 'server' };
    const lane = channelId(channel);
    const remote = this.core.bridged.remote(channel);
    const bridged = this.bridged(channel) !== undefined;
    for (const change of parseModes(modes, params, this.core.connections.bot.isupport)) {
      if (change.param === undefined) continue;
      const member = state?.members.get(ircLower(change.param));
      if (['q', 'a', 'o', 'h', 'v'].includes(change.mode)) {
        const wasOp = isOperator(member);
        if (member) {
          if (change.adding) member.modes.add(change.mode);
          else member.modes.delete(change.mode);
        }
        const isOp = member ? isOperator(member) : change.adding && change.mode === 'o';
        if (!bridged || wasOp === isOp || this.core.connections.isOurs(change.param)) continue;
        this.core.pusher.queue(lane, { kind: 'power', channel: remote, sender, target: this.user(change.param), level: isOp ? OPERATOR_LEVEL : 0 });
      } else if (change.mode === 'b' && bridged && bySetter) {
        this.ban(state, change.param, change.adding, remote, bySetter);
      }
    }
  }

  /** +b / -b by an IRC user: ban (or unban) the ghosts the mask matches. */
  private ban(state: ChannelState | undefined, mask: string, adding: boolean, remote: ReturnType<Core['bridged']['remote']>, sender: RemoteUser): void {
    if (!state) return;
    const banned = state.bans ??= new Map();
    const targets = adding
      ? [...state.members.values()].filter((m) => !this.core.connections.isOurs(m.nick) && maskMatches(mask, `${m.nick}!${m.ident ?? '*'}@${m.host ?? '*'}`)).map((m) => this.user(m.nick))
      : banned.get(mask) ?? [];
    if (adding) banned.set(mask, targets);
    else banned.delete(mask);
    for (const target of targets) {
      this.core.pusher.queue(remote.id, { kind: 'membership', membership: adding ? 'ban' : 'unban', channel: remote, sender, target, reason: `${adding ? 'Banned' : 'Unbanned'} on IRC (${mask})` });
    }
  }

  private topic(channel: string | undefined, topic: string, by: string | undefined): void {
    if (channel === undefined) return;
    const state = this.core.channels.get(channel);
    if (state) state.topic = topic;
    if (!this.bridged(channel)) return;
    const sender = by !== undefined && !this.core.connections.isOurs(by) ? this.user(by) : undefined;
    this.core.pusher.queue(channelId(channel), {
      kind: 'channel', channel: this.core.bridged.remote(channel, stripFormatting(topic)), ...(sender ? { sender } : {}),
    });
  }

  /** The member list after the bot (re)joined: Matrix is brought in line with it. */
  private names(line: IrcLine): void {
    const state = this.core.channels.names(line, this.core.connections.bot.isupport);
    if (!state || !this.bridged(state.name)) return;
    syncPortal(this.core, state);
    this.away.poll(state.name);
  }
}

/** PRIVMSG, NOTICE and CTCP ACTION as Matrix text; other CTCP (VERSION …) is not bridged. */
export function parseMessage(command: string, text: string): { text: string; html?: string; msgtype: 'm.text' | 'm.notice' | 'm.emote' } | undefined {
  let body = text;
  let msgtype: 'm.text' | 'm.notice' | 'm.emote' = command === 'NOTICE' ? 'm.notice' : 'm.text';
  if (body.startsWith('\x01')) {
    const ctcp = body.replace(/^\x01|\x01$/g, '');
    if (command !== 'PRIVMSG' || !/^ACTION( |$)/i.test(ctcp)) return undefined;
    body = ctcp.slice(7);
    msgtype = 'm.emote';
  }
  const converted = ircToMatrix(body);
  if (converted.text.trim() === '') return undefined;
  return { ...converted, msgtype };
}

type Parsed = NonNullable<ReturnType<typeof parseMessage>>;

/**
 * `nick: text` (or `nick, text`) addressed to a Matrix user on IRC through the bridge: a
 * mention of them (`m.mentions`, so their client notifies them) and a pill in the HTML.
 */
export function withAddressee(parsed: Parsed, userForNick: (nick: string) => string | undefined): Parsed & { mentions?: { userIds: string[] } } {
  const nick = /^([^\s:,]+)[:,](?:\s|$)/.exec(parsed.text)?.[1];
  const userId = nick === undefined ? undefined : userForNick(nick);
  if (nick === undefined || userId === undefined) return parsed;
  const pill = userPill(userId, nick);
  const html = parsed.html ?? escapeHtml(parsed.text);
  const escapedNick = escapeHtml(nick);
  // A nick written with IRC formatting stays as it is (no pill), the mention still counts.
  const pilled = html.startsWith(escapedNick) ? pill + html.slice(escapedNick.length) : parsed.html;
  return { ...parsed, ...(pilled !== undefined ? { html: pilled } : {}), mentions: { userIds: [userId] } };
}

/** IRCv3 `msgid` when the server gives one, else a fresh id (IRC messages have none). */
function messageId(line: IrcLine): string {
  return line.tags.get('msgid') ?? `irc-${randomUUID()}`;
}

/** IRCv3 `server-time`, when present and readable. */
function timeOf(line: IrcLine): { ts?: number } {
  const time = line.tags.get('time');
  const ts = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isFinite(ts) ? { ts } : {};
}
