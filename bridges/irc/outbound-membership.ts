/**
 * Matrix memberships → IRC. A Matrix user joining a portal gets their connection into the
 * channel, leaving takes it out (and quits it when it has no channel left); a new display
 * name is a new nick (each done by the process running the connection: forwarded.ts). A Matrix user inviting a ghost to a direct chat opens a DM with that
 * IRC user; kicking or banning a ghost kicks (and bans) the IRC user, when the bridge may.
 */
import type { HandlerScope, MembershipChange, PluginRoomView } from 'matrix-bridgekit';
import type { Core } from './core.js';
import { nickFromTemplate, sameNick } from './nicks.js';
import type { Outbound } from './outbound.js';
import { dmChannelId } from './portals.js';
import { cleanLine } from './sanitize.js';

export class Membership {
  constructor(private readonly core: Core, private readonly outbound: Outbound) {}

  async changed(change: MembershipChange, room: PluginRoomView, scope: HandlerScope): Promise<void> {
    const { ctx } = this.core;
    const target = await this.outbound.target(change.roomId);
    const ghostId = ctx.ghosts.remoteUserId(change.userId);
    if (ghostId !== undefined) {
      if (change.membership === 'invite' && target === undefined) await this.ghostInvited(change, ghostId, scope);
      else if (target?.kind === 'channel' && (change.membership === 'leave' || change.membership === 'ban') && change.sender !== change.userId) {
        await this.removeGhost(change, ghostId, target.name, room, scope);
      }
      return;
    }
    if (ctx.puppets.controls(change.userId) || target?.kind !== 'channel' || !this.core.connections.mayPuppet(change.userId)) return;
    const { connections } = this.core;
    if (change.membership === 'join') {
      if (change.previous === 'join') {
        await this.renamed(change, scope);
        return;
      }
      const connection = await connections.forUser(change.userId, change.displayName);
      // Here too: should this process take the connection over, it knows its channels.
      connection.want(target.name);
      await this.outbound.forward(connection, scope, { op: 'want', channel: target.name });
    } else if (change.membership === 'leave' || change.membership === 'ban') {
      const connection = connections.existing(change.userId);
      if (!connection) return;
      const reason = change.reason ?? 'left the Matrix room';
      // First where it runs (which quits it when it has no channel left), then here.
      await this.outbound.forward(connection, scope, { op: 'unwant', channel: target.name, reason });
      connection.unwant(target.name, reason);
      connections.releaseIfIdle(change.userId);
    }
  }

  /** A direct chat with an IRC user: the ghost joins, and the room becomes their DM portal. */
  private async ghostInvited(change: MembershipChange, ghostId: string, scope: HandlerScope): Promise<void> {
    const ghost = this.core.ctx.puppets.get(change.userId);
    if (change.event.content['is_direct'] !== true) {
      await ghost.leave(change.roomId, { reason: 'IRC users can only be invited to direct chats; use the channel\'s portal to talk in a channel' });
      return;
    }
    await ghost.ensureJoined(change.roomId);
    await this.core.ctx.mappings.linkChannel(dmChannelId(ghostId, change.sender), change.roomId);
    scope.logger.info({ roomId: change.roomId, ghostId, userId: change.sender }, 'direct chat with an IRC user opened');
  }

  /** A Matrix kick or ban of a ghost: KICK (and +b) on IRC by the bot or the sender's connection, as the bot's process decides (forwarded.ts). */
  private async removeGhost(change: MembershipChange, ghostId: string, channel: string, room: PluginRoomView, scope: HandlerScope): Promise<void> {
    const nick = this.core.identities.nickOf(ghostId);
    if (nick === undefined) return;
    const own = await this.outbound.connectionOf(change.sender, room);
    const reason = cleanLine(change.reason ?? `by ${await this.outboundName(room, change.sender)} on Matrix`);
    const { connections } = this.core;
    await this.outbound.forward(connections.bot, scope, {
      op: 'kick', channel, nick, ban: change.membership === 'ban', reason, ownKey: connections.keyOf(own), ownNick: own.nick,
      roomId: change.roomId, key: scope.idempotencyKey, what: 'The kick',
    });
  }

  private async outboundName(room: PluginRoomView, userId: string): Promise<string> {
    return (await room.member(userId))?.displayname ?? userId;
  }

  /** A new display name: a new nick, when it makes a different one. */
  private async renamed(change: MembershipChange, scope: HandlerScope): Promise<void> {
    const connection = this.core.connections.existing(change.userId);
    // A login's nick is the user's own choice: a display name does not change it.
    if (!connection || change.displayName === undefined || this.core.connections.hasLogin(change.userId)) return;
    const { config } = this.core;
    const nick = nickFromTemplate(config.nickTemplate, change.displayName, config.server.maxNickLength);
    if (sameNick(nick, connection.nick)) return;
    await this.outbound.forward(connection, scope, { op: 'nick', nick });
  }
}
