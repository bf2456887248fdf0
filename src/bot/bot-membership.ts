import type { Logger } from '../log/logger.js';
import type { Mirror } from '../mirror/index.js';
import type { MembershipChange } from '../plugin/matrix-events.js';
import type { Puppet } from '../puppets/index.js';
import type { InvitePolicy } from './invite-policy.js';
import type { ManagementRooms } from './management-rooms.js';

export interface BotMembershipOptions {
  readonly bot: Puppet;
  readonly mirror: Pick<Mirror, 'room' | 'resync' | 'forget'>;
  readonly policy: InvitePolicy;
  readonly managementRooms: ManagementRooms;
  readonly isControlled: (userId: string) => boolean;
  readonly logger: Logger;
}

const GONE = new Set(['leave', 'ban']);

/**
 * The bot's own membership: joins when an allowed user invites it (rejects otherwise),
 * and forgets a room cleanly once it is out of it. Also leaves a management room whose
 * user has left.
 */
export class BotMembership {
  constructor(private readonly options: BotMembershipOptions) {}

  /** True when the event was the bot's to answer (its invite), so the plugin does not see it. */
  async handle(change: MembershipChange): Promise<boolean> {
    const bot = this.options.bot.userId;
    if (change.userId === bot) {
      if (change.membership === 'invite' && change.sender !== bot) {
        await this.invited(change);
        return true;
      }
      if (GONE.has(change.membership)) await this.removed(change);
      return false;
    }
    if (GONE.has(change.membership) && await this.options.managementRooms.ownerOf(change.roomId) === change.userId) {
      this.options.logger.info({ roomId: change.roomId, userId: change.userId }, 'user left their management room; the bot leaves too');
      await this.options.managementRooms.drop(change.roomId);
      await this.options.bot.leave(change.roomId);
    }
    return false;
  }

  private async invited(change: MembershipChange): Promise<void> {
    const { roomId, sender: inviter } = change;
    const log = this.options.logger.child({ roomId, eventId: change.event.event_id, inviter });
    if (!this.options.policy.allows(inviter)) {
      log.info('bot invite rejected: the inviter is not in bot.invites');
      await this.options.bot.leave(roomId, { reason: `${inviter} is not allowed to invite this bridge's bot` });
      return;
    }
    await this.options.bot.ensureJoined(roomId);
    // The room's name, from the invite's stripped state: the full state is read only now.
    const name = change.inviteState?.find((e) => e.type === 'm.room.name' && e.state_key === '')?.content['name'];
    log.info({ roomName: typeof name === 'string' ? name : undefined }, 'bot joined on invite');
    await this.hydrate(roomId, log);
    if (change.event.content['is_direct'] === true) await this.options.managementRooms.adopt(inviter, roomId);
  }

  /**
   * Kicked, banned, or left (an invite it rejected): nothing to undo on the homeserver. The
   * mirror forgets the room unless a ghost is still in it and needs it.
   */
  private async removed(change: MembershipChange): Promise<void> {
    const { roomId } = change;
    const log = this.options.logger.child({ roomId, eventId: change.event.event_id, by: change.sender });
    if (change.sender !== change.userId) log.info({ membership: change.membership, reason: change.reason }, 'the bot was removed from the room');
    await this.options.managementRooms.drop(roomId);
    const room = await this.options.mirror.room(roomId);
    if (!room) return;
    for await (const member of room.members('join')) {
      if (this.options.isControlled(member.userId)) return;
    }
    await this.options.mirror.forget(roomId);
    log.debug('room forgotten by the mirror: none of the bridge\'s users is in it');
  }

  /**
   * The invite came before the bot could read the room, so the mirror could not fetch its
   * state then (and waits a while before trying again): fetch it now that the bot is in.
   */
  private async hydrate(roomId: string, log: Logger): Promise<void> {
    if ((await this.options.mirror.room(roomId))?.hydrated) return;
    try {
      await this.options.mirror.resync(roomId);
    } catch (err) {
      log.warn({ err }, 'could not fetch the state of the room just joined; the mirror will retry');
    }
  }
}
