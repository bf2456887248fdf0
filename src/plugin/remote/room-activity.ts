import { MatrixError } from '../../homeserver/index.js';
import type { Logger } from '../../log/logger.js';
import { PermissionDenied, type Puppet, type Puppets } from '../../puppets/index.js';
import type { GhostIds } from '../ghost-ids.js';
import { RemotePushError } from './errors.js';
import type { MemberRooms } from './member-rooms.js';
import type { RemoteMessages } from './messages.js';
import type { RemoteOf, RemotePushResult } from './types.js';

export interface RoomActivityDeps {
  readonly puppets: Puppets;
  readonly ghosts: GhostIds;
  readonly messages: RemoteMessages;
  readonly memberRooms: MemberRooms;
  readonly logger: Logger;
}

/** Typing, read markers and memberships from the remote side, done as the sender's ghost. */
export class RoomActivity {
  constructor(private readonly deps: RoomActivityDeps) {}

  /** Typing is held (refreshed) until the remote side says it stopped. */
  async typing(roomId: string, ghost: Puppet, event: RemoteOf<'typing'>): Promise<RemotePushResult> {
    if (event.typing) await ghost.startTyping(roomId);
    else await ghost.stopTyping(roomId);
    return { roomId, duplicate: false };
  }

  async read(roomId: string, channelId: string, ghost: Puppet, event: RemoteOf<'read'>): Promise<RemotePushResult> {
    const eventId = await this.deps.messages.target(roomId, channelId, 'read marker', event.upToId);
    await ghost.sendReadReceipt(roomId, eventId);
    return { roomId, eventId, duplicate: false };
  }

  /** Joins were done before (the ghost is joined for every channel event); this does the rest. */
  async membership(roomId: string, channelId: string, ghost: Puppet, event: RemoteOf<'membership'>): Promise<RemotePushResult> {
    const reason = event.reason !== undefined ? { reason: event.reason } : {};
    switch (event.membership) {
      case 'join':
        return { roomId, duplicate: false };
      case 'leave':
        await ghost.leave(roomId, reason);
        await this.deps.memberRooms.record(ghost.userId, roomId, false);
        return { roomId, duplicate: false };
      case 'kick':
      case 'ban':
      case 'unban': {
        if (!event.target) {
          throw new RemotePushError('missing-target', event.membership, channelId, `a remote ${event.membership} in channel ${channelId} needs a target user`);
        }
        const target = this.deps.ghosts.userId(event.target.id);
        // Registered first: a homeserver asked about an unknown ghost would ask us back.
        await this.deps.puppets.get(target).ensureRegistered();
        try {
          await ghost[event.membership](roomId, target, reason);
        } catch (err) {
          return this.refusal(err, roomId, ghost.userId, `${event.membership} ${target}`);
        }
        if (event.membership !== 'unban') await this.deps.memberRooms.record(target, roomId, false);
        return { roomId, duplicate: false };
      }
    }
  }

  /** Sets the target ghost's power level (up or down) through the bot; a refusal is a result, as for kicks. */
  async power(roomId: string, event: RemoteOf<'power'>): Promise<RemotePushResult> {
    const target = this.deps.puppets.get(this.deps.ghosts.userId(event.target.id));
    await target.ensureRegistered();
    try {
      await target.setPowerLevel(roomId, event.level);
    } catch (err) {
      return this.refusal(err, roomId, this.deps.puppets.bot.userId, `set ${target.userId} to power level ${event.level}`);
    }
    return { roomId, duplicate: false };
  }

  /** A refusal (by the mirror's engine or the homeserver) is reported and logged; other errors go on up. */
  private refusal(err: unknown, roomId: string, userId: string, action: string): RemotePushResult {
    if (!(err instanceof PermissionDenied || (err instanceof MatrixError && err.isForbidden))) throw err;
    this.deps.logger.warn({ roomId, userId, action, reason: err.message }, 'remote membership change refused');
    return { roomId, duplicate: false, refused: err.message };
  }
}
