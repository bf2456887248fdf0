import { isOutcomeUnknown, MatrixError } from '../homeserver/index.js';
import { canInvite, type Verdict } from '../mirror/index.js';
import { controlsOf, type PuppetContext, type RequestControls } from './context.js';
import { PermissionDenied } from './errors.js';
import { changeMembership } from './state.js';

export interface JoinOptions extends RequestControls {
  /** Servers to join through (a room this homeserver is not in yet). */
  readonly via?: readonly string[];
  readonly reason?: string;
}

export interface ReasonOptions extends RequestControls {
  readonly reason?: string;
}

/** Memberships of one puppet: its own (join, leave) and those it changes for others. */
export class MembershipOps {
  constructor(private readonly ctx: PuppetContext, private readonly userId: string) {}

  /** Joined as far as the mirror (or a join the homeserver confirmed and the mirror has not echoed yet) says. */
  async isJoined(roomId: string): Promise<boolean> {
    return (await this.ctx.permissions.membership(roomId, this.userId)) === 'join';
  }

  /**
   * Makes the puppet a member. Joins by itself where it may; where it may not (or the
   * homeserver says 403) and the mirror says the bot may invite it, the bot invites it and
   * it joins. A join whose outcome is unknown (timeout) is rethrown, and the next call
   * asks the homeserver whether it took effect before joining again. Returns the room id.
   */
  async ensureJoined(roomIdOrAlias: string, options: JoinOptions = {}): Promise<string> {
    await this.ctx.registrar.ensure(this.userId);
    const { roomId, via } = await this.resolve(roomIdOrAlias, options);
    if (await this.settleUncertainJoin(roomId, options)) return roomId;
    if (await this.isJoined(roomId)) return roomId;
    const verdict = await this.ctx.permissions.join(this.userId, roomId);
    if (verdict && !verdict.allowed) {
      await this.joinThroughInvite(roomId, verdict, via, options);
      return roomId;
    }
    try {
      await this.join(roomId, via, options);
    } catch (err) {
      // Only a refusal leads to the invite; an unknown outcome is never read as "not joined".
      if (!(err instanceof MatrixError && err.isForbidden) || this.userId === this.ctx.botUserId) throw err;
      let after = await this.ctx.permissions.join(this.userId, roomId);
      // The mirror has not seen the room yet (its first events still on their way: a room the
      // bot has just made): its state fetched now says whether the bot can invite.
      if (!after && this.ctx.mirror.resync) {
        await this.ctx.mirror.resync(roomId).catch(() => undefined);
        after = await this.ctx.permissions.join(this.userId, roomId);
      }
      if (!after) throw err;
      await this.joinThroughInvite(roomId, after.allowed ? undefined : after, via, options, err);
    }
    return roomId;
  }

  /** Leaves the room (no request when the puppet is known not to be in it). */
  async leave(roomId: string, options: ReasonOptions = {}): Promise<void> {
    const membership = await this.ctx.permissions.membership(roomId, this.userId);
    if (membership === 'leave' || membership === 'ban') return;
    // No member event in a room the mirror holds in full: never was a member.
    if (membership === undefined && (await this.ctx.mirror.room(roomId))?.hydrated) return;
    await changeMembership(this.ctx, roomId, this.userId, this.userId, 'leave', () =>
      this.ctx.api.membership.leave(roomId, { asUser: this.userId, ...reasonOf(options), ...controlsOf(options) }));
  }

  async invite(roomId: string, target: string, options: ReasonOptions = {}): Promise<void> {
    await this.ctx.permissions.invite(this.userId, roomId, target);
    await changeMembership(this.ctx, roomId, this.userId, target, 'invite', () =>
      this.ctx.api.membership.invite(roomId, target, { asUser: this.userId, ...reasonOf(options), ...controlsOf(options) }));
  }

  async kick(roomId: string, target: string, options: ReasonOptions = {}): Promise<void> {
    await this.ctx.permissions.kick(this.userId, roomId, target);
    await changeMembership(this.ctx, roomId, this.userId, target, 'leave', () =>
      this.ctx.api.membership.kick(roomId, target, { asUser: this.userId, ...reasonOf(options), ...controlsOf(options) }));
  }

  async ban(roomId: string, target: string, options: ReasonOptions = {}): Promise<void> {
    await this.ctx.permissions.ban(this.userId, roomId, target);
    await changeMembership(this.ctx, roomId, this.userId, target, 'ban', () =>
      this.ctx.api.membership.ban(roomId, target, { asUser: this.userId, ...reasonOf(options), ...controlsOf(options) }));
  }

  async unban(roomId: string, target: string, options: ReasonOptions = {}): Promise<void> {
    await this.ctx.permissions.unban(this.userId, roomId, target);
    await changeMembership(this.ctx, roomId, this.userId, target, 'leave', () =>
      this.ctx.api.membership.unban(roomId, target, { asUser: this.userId, ...reasonOf(options), ...controlsOf(options) }));
  }

  private async resolve(roomIdOrAlias: string, options: JoinOptions): Promise<{ roomId: string; via: readonly string[] | undefined }> {
    if (!roomIdOrAlias.startsWith('#')) return { roomId: roomIdOrAlias, via: options.via };
    const resolved = await this.ctx.api.directory.resolveAlias(roomIdOrAlias, controlsOf(options));
    if (!resolved) throw new Error(`room alias ${roomIdOrAlias} does not exist`);
    return { roomId: resolved.roomId, via: options.via ?? resolved.servers };
  }

  /** After a join timed out: asks the homeserver whether it took effect. True when it did. */
  private async settleUncertainJoin(roomId: string, options: RequestControls): Promise<boolean> {
    const key = `${roomId}\u0000${this.userId}`;
    if (!this.ctx.uncertainJoins.has(key)) return false;
    const joined = await this.ctx.api.membership.joinedRooms({ asUser: this.userId, ...controlsOf(options) });
    this.ctx.uncertainJoins.delete(key);
    if (!joined.includes(roomId)) return false;
    await changeMembership(this.ctx, roomId, this.userId, this.userId, 'join', async () => undefined);
    this.ctx.logger.info({ roomId, userId: this.userId }, 'a join that timed out had taken effect');
    return true;
  }

  private async join(roomId: string, via: readonly string[] | undefined, options: JoinOptions): Promise<void> {
    try {
      await changeMembership(this.ctx, roomId, this.userId, this.userId, 'join', () => this.ctx.api.membership.join(roomId, {
        asUser: this.userId, ...(via !== undefined ? { via } : {}), ...reasonOf(options), ...controlsOf(options),
      }));
    } catch (err) {
      if (isOutcomeUnknown(err)) {
        this.ctx.uncertainJoins.add(`${roomId}\u0000${this.userId}`);
        this.ctx.logger.warn({ roomId, userId: this.userId }, 'join outcome unknown; not joining again until the homeserver says');
      }
      throw err;
    }
    this.ctx.logger.info({ roomId, userId: this.userId }, 'joined');
  }

  /** The bot invites the puppet, which then joins; refused (without a request) unless the mirror says the bot may. */
  private async joinThroughInvite(
    roomId: string, joinRefusal: Verdict | undefined, via: readonly string[] | undefined, options: JoinOptions, cause?: unknown,
  ): Promise<void> {
    const bot = this.ctx.botUserId;
    const refusedJoin = joinRefusal && !joinRefusal.allowed ? joinRefusal : undefined;
    if (this.userId === bot && refusedJoin) {
      throw new PermissionDenied({ userId: bot, roomId, action: 'join', verdict: refusedJoin });
    }
    const invite = await this.ctx.permissions.verdict({
      userId: bot, roomId, action: `invite ${this.userId}`, about: [this.userId], ask: (state) => canInvite(state, bot, this.userId),
    });
    if (invite && !invite.allowed) {
      const why = refusedJoin ? `it may not join by itself (${refusedJoin.reason}; ${refusedJoin.rule}), and ` : '';
      throw new PermissionDenied({
        userId: this.userId, roomId, action: 'join', verdict: invite, cause,
        detail: `${why}the bot cannot invite it: ${invite.reason}`,
      });
    }
    if (!invite && cause !== undefined) throw cause;
    this.ctx.logger.info({ roomId, userId: this.userId }, 'joining through an invite from the bot');
    await changeMembership(this.ctx, roomId, bot, this.userId, 'invite', () =>
      this.ctx.api.membership.invite(roomId, this.userId, { asUser: bot, ...controlsOf(options) }));
    await this.join(roomId, via, options);
  }
}

function reasonOf(options: { readonly reason?: string }): { reason?: string } {
  return options.reason === undefined ? {} : { reason: options.reason };
}
