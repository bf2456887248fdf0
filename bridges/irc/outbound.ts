/**
 * Matrix → IRC. Each Matrix user speaks through their own IRC connection (puppet mode) or
 * the bot with a `<name>` prefix (relay mode). What to send is forwarded to the connection
 * wherever it runs (forwarded.ts: here, or the process holding its lease). A send waits
 * (bounded) for the connection to be registered and in the channel, goes out under flood
 * control, and counts as delivered once the server confirmed it (see SendQueue). A send
 * that fails is retried (the handler's retry, or the forwarded message's); a refusal by
 * the server, or the last failed attempt, is reported in the room as a notice: nothing is
 * dropped silently.
 */
import type {
  HandlerScope, MatrixEdit, MatrixMessage, MembershipChange, PluginRoomView, PresenceUpdate, StateChange,
} from 'matrix-bridgekit';
import { stripBodyReplyFallback } from 'matrix-bridgekit';
import type { IrcConnection } from './connection.js';
import type { Core } from './core.js';
import type { Forwarded } from './forwarded.js';
import { Membership } from './outbound-membership.js';
import { parseDm } from './portals.js';
import { lineBudget, mediaLink, quoteFromFallback, renderEdit, renderMessage, type Rendered } from './render.js';
import { cleanLine } from './sanitize.js';
import { splitText } from './split.js';

/** Where a portal's messages go on IRC. */
export type Target =
  | { readonly kind: 'channel'; readonly name: string }
  | { readonly kind: 'dm'; readonly ghostId: string; readonly userId: string };

/** Matrix users at or above this level are IRC channel operators (and the reverse). */
const OPERATOR_LEVEL = 50;

export class Outbound {
  readonly membership: Membership;

  constructor(private readonly core: Core) {
    this.membership = new Membership(core, this);
  }

  async target(roomId: string): Promise<Target | undefined> {
    const id = await this.core.ctx.mappings.channelForRoom(roomId);
    if (id === undefined) return undefined;
    const dm = parseDm(id);
    if (dm) return { kind: 'dm', ...dm };
    const name = this.core.bridged.nameOf(id);
    return name === undefined ? undefined : { kind: 'channel', name };
  }

  /** The IRC nick of a Matrix user: a ghost's nick, or a Matrix user's own connection's. */
  private readonly nickOf = (userId: string): string | undefined => {
    const remoteId = this.core.ctx.ghosts.remoteUserId(userId);
    return remoteId !== undefined ? this.core.identities.nickOf(remoteId) : this.core.connections.existing(userId)?.nick;
  };

  async message(message: MatrixMessage, room: PluginRoomView, scope: HandlerScope): Promise<void> {
    const target = await this.target(message.roomId);
    if (!target) return;
    const quote = message.replyTo ? this.quoteFor(message) : undefined;
    const base = this.core.config.mediaBaseUrl ?? `https://${this.core.ctx.domain}`;
    const rendered = renderMessage(message, {
      ...(quote ? { quote } : {}), nickOf: this.nickOf,
      // The bridge's own signed link when it has a public URL: homeservers now want authentication for media.
      mediaUrl: (mxc, filename) => this.core.ctx.media.url(mxc, filename) ?? mediaLink(base, mxc, filename),
    });
    const plain = message.replyTo ? stripBodyReplyFallback(message.body) : message.body;
    await this.send(message.sender, room, target, rendered, scope, message.eventId, plain);
  }

  async edit(edit: MatrixEdit, room: PluginRoomView, scope: HandlerScope): Promise<void> {
    const target = await this.target(edit.roomId);
    if (!target) return;
    await this.send(edit.sender, room, target, renderEdit(edit, this.nickOf), scope, edit.eventId, edit.body);
  }

  /**
   * The sender's IRC connection: the bot when the message goes through the portal's relay
   * (`scope.relay`); their login's; else their puppet (puppet mode) or the bot.
   */
  async connectionOf(userId: string, room: PluginRoomView, scope?: Pick<HandlerScope, 'relay'>): Promise<IrcConnection> {
    const { connections } = this.core;
    if (scope?.relay) return connections.bot;
    if (!connections.mayPuppet(userId)) return connections.bot;
    return connections.forUser(userId, await displayName(room, userId));
  }

  /**
   * Gives work to an IRC connection wherever it runs (forwarded.ts): here at once when it
   * runs here, else committed with the event and done by the process running it.
   */
  forward(connection: IrcConnection, scope: HandlerScope, message: Forwarded): Promise<void> {
    return scope.forward(this.core.connections.keyOf(connection), message);
  }

  /** A notice from the bot, once per event and purpose. */
  async notice(roomId: string, scope: HandlerScope, text: string, purpose = 'undelivered'): Promise<void> {
    await this.core.ctx.bot.sendNotice(roomId, text, { idempotencyKey: `irc-${purpose}:${scope.idempotencyKey}` });
  }

  private quoteFor(message: MatrixMessage) {
    const known = message.replyTo ? this.core.recent.get(message.replyTo.eventId) : undefined;
    if (known) return known;
    // bridgekit hands the plugin the reply without its fallback: the quote is read from the event.
    const raw = message.event.content['body'];
    const fallback = quoteFromFallback(typeof raw === 'string' ? raw : '');
    if (!fallback) return undefined;
    const ghost = this.core.ctx.ghosts.remoteUserId(fallback.sender);
    const nick = (ghost !== undefined ? this.core.identities.nickOf(ghost) : undefined)
      ?? this.core.connections.existing(fallback.sender)?.nick
      ?? fallback.sender.replace(/^@/, '').split(':')[0]!;
    return { nick, text: fallback.text };
  }

  private async send(
    sender: string, room: PluginRoomView, target: Target, rendered: Rendered, scope: HandlerScope, eventId: string, plain: string,
  ): Promise<void> {
    const ircTarget = target.kind === 'channel' ? target.name : this.core.identities.nickOf(target.ghostId);
    if (ircTarget === undefined) {
      await this.notice(room.roomId, scope, 'This message could not be delivered to IRC: the IRC user is unknown.');
      return;
    }
    const name = await displayName(room, sender);
    const connection = await this.connectionOf(sender, room, scope);
    // Through the bot: the sender's name in front of each line, as the portal's relay formats it (or `<name> `).
    const relay = connection === this.core.connections.bot;
    let action = rendered.action;
    let prefix = '';
    if (relay) {
      prefix = scope.relay ? scope.relay.format('', action ? 'emote' : 'text') : action ? `* ${name} ` : `<${name}> `;
      action = false;
    }
    const { lines, omitted } = splitText(rendered.text, lineBudget(connection.nick, ircTarget, action), this.core.config.maxLines, prefix);
    if (lines.length === 0) return;
    const ircLines = lines.map((line): [string, ...string[]] => [rendered.command, ircTarget, action ? `\x01ACTION ${line}\x01` : line]);
    const channel = target.kind === 'channel' ? target.name : undefined;
    await this.forward(connection, scope, {
      op: 'lines', lines: ircLines, ...(channel !== undefined ? { channel } : {}), roomId: room.roomId, key: scope.idempotencyKey, what: 'This message',
      ...(relay && target.kind === 'dm' ? { replyTo: { nick: ircTarget, userId: sender } } : {}),
    });
    this.core.recent.remember(eventId, { nick: relay ? name : connection.nick, text: plain });
    if (omitted > 0) {
      await this.notice(room.roomId, scope, `Your message was too long for IRC: the last ${omitted} line(s) were not sent.`, 'truncated');
    }
  }

  async roomState(change: StateChange, room: PluginRoomView, scope: HandlerScope): Promise<void> {
    const target = await this.target(change.roomId);
    if (target?.kind !== 'channel') return;
    if (change.type === 'm.room.topic') await this.topic(change, target.name, room, scope);
    else if (change.type === 'm.room.power_levels') await this.powerLevels(change, target.name, scope);
  }

  /** The topic goes to the bot's process, which knows who may set it (forwarded.ts). */
  private async topic(change: StateChange, channel: string, room: PluginRoomView, scope: HandlerScope): Promise<void> {
    const raw = change.content['topic'];
    const topic = cleanLine(typeof raw === 'string' ? raw : '');
    const own = await this.connectionOf(change.sender, room);
    const { connections } = this.core;
    await this.forward(connections.bot, scope, {
      op: 'topic', channel, topic, ownKey: connections.keyOf(own), ownNick: own.nick, roomId: change.roomId, key: scope.idempotencyKey, what: 'The topic change',
    });
  }

  /** Crossing power level 50 → +o / -o, sent by the bot when it is operator (it knows, in its process). */
  private async powerLevels(change: StateChange, channel: string, scope: HandlerScope): Promise<void> {
    const before = levels(change.previous);
    const after = levels(change.content);
    const changes: Array<{ op: '+o' | '-o'; nick: string }> = [];
    for (const userId of new Set([...before.users.keys(), ...after.users.keys()])) {
      const was = (before.users.get(userId) ?? before.fallback) >= OPERATOR_LEVEL;
      const is = (after.users.get(userId) ?? after.fallback) >= OPERATOR_LEVEL;
      if (was === is || userId === this.core.ctx.bot.userId) continue;
      const nick = this.nickOfUser(userId);
      if (nick !== undefined) changes.push({ op: is ? '+o' : '-o', nick });
    }
    if (changes.length === 0) return;
    await this.forward(this.core.connections.bot, scope, {
      op: 'modes', channel, changes, roomId: change.roomId, key: scope.idempotencyKey, what: 'The power level change',
    });
  }

  /** The IRC nick of a Matrix user (their puppet) or of a ghost. */
  nickOfUser(userId: string): string | undefined {
    const ghost = this.core.ctx.ghosts.remoteUserId(userId);
    if (ghost !== undefined) return this.core.identities.nickOf(ghost);
    if (this.core.ctx.puppets.controls(userId) || !this.core.connections.mayPuppet(userId)) return undefined;
    return this.core.connections.existing(userId)?.nick;
  }

  async presence(update: PresenceUpdate, scope: HandlerScope): Promise<void> {
    if (!this.core.connections.mayPuppet(update.userId)) return;
    const connection = this.core.connections.existing(update.userId);
    if (!connection) return;
    const status = update.statusMsg !== undefined ? cleanLine(update.statusMsg) : '';
    const away = update.presence === 'online' ? null : status || (update.presence === 'offline' ? 'offline' : 'away');
    await this.forward(connection, scope, { op: 'away', message: away });
  }

  membershipChanged(change: MembershipChange, room: PluginRoomView, scope: HandlerScope): Promise<void> {
    return this.membership.changed(change, room, scope);
  }
}

export async function displayName(room: PluginRoomView, userId: string): Promise<string> {
  // Sent to IRC as the relay prefix and as a connection's realname: one line, no control characters.
  const member = await room.member(userId);
  return cleanLine(member?.displayname ?? '') || cleanLine(userId.slice(1).split(':')[0] ?? '') || cleanLine(userId);
}

function levels(content: Record<string, unknown> | undefined): { users: Map<string, number>; fallback: number } {
  const users = new Map<string, number>();
  const raw = content?.['users'];
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    for (const [userId, level] of Object.entries(raw)) if (typeof level === 'number') users.set(userId, level);
  }
  const fallback = typeof content?.['users_default'] === 'number' ? content['users_default'] : 0;
  return { users, fallback };
}
