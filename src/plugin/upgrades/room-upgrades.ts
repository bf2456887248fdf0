import type { RoomEvent } from '../../events/types.js';
import { MatrixError } from '../../homeserver/index.js';
import type { Logger } from '../../log/logger.js';
import type { Mirror } from '../../mirror/index.js';
import { PermissionDenied, type Puppets } from '../../puppets/index.js';
import type { Namespaces } from '../../registration/index.js';
import { Sections, type Section, type Store } from '../../store/index.js';
import type { StoredMappings } from '../mappings.js';
import type { MemberRooms } from '../remote/member-rooms.js';
import type { RoomUpgrade } from './types.js';


export interface RoomUpgradesDeps {
  readonly mirror: Pick<Mirror, 'room' | 'resync'>;
  readonly puppets: Puppets;
  readonly namespaces: Pick<Namespaces, 'isControlledUser'>;
  readonly mappings: StoredMappings;
  readonly memberRooms: Pick<MemberRooms, 'record'>;
  readonly store: Store;
  /** Runs `task` in the channel's remote order (no remote push of it in flight meanwhile). */
  readonly inChannel: <T>(channelId: string, task: () => Promise<T>) => Promise<T>;
  /** After the move: the new portal's bridge info (not copied by the homeserver). */
  readonly linked: (channelId: string, roomId: string) => void;
  /** Whether the bot keeps the room as a user's management room. */
  readonly isManagementRoom: (roomId: string) => Promise<boolean>;
  /** A management room moved; false when the room was none. */
  readonly managementRoomUpgraded: (oldRoomId: string, newRoomId: string) => Promise<boolean>;
  /** The plugin's `onRoomUpgrade`. */
  readonly onRoomUpgrade?: (upgrade: RoomUpgrade) => Promise<void>;
  readonly logger: Logger;
}

/**
 * Follows upgraded rooms (`m.room.tombstone`): when a portal's tombstone
 * arrives, the bot joins the replacement (through the old room's server), the ghosts that
 * were in the old room move (join the new one, leave the old), the channel's mapping moves (in the channel's order, so no
 * remote push is in flight meanwhile), and the plugin is told. A replacement the bot may
 * not join yet (invite only) is remembered until the bot is invited to it. Puppets refuse
 * to send into a room with a tombstone (`PermissionDenied`, rule "room upgraded").
 */
export class RoomUpgrades {
  private readonly pending: Section<string>;
  /** Follows under way, by old room: the inbox and the remote pipeline may both start one. */
  private readonly running = new Map<string, Promise<string | undefined>>();

  constructor(private readonly deps: RoomUpgradesDeps) {
    this.pending = deps.store.section<string>(Sections.roomUpgrades);
  }

  /** Whether `observe` has anything to do with the event (a tombstone or a member event): asked first on the hot path. */
  watches(event: RoomEvent): boolean {
    return event.type === 'm.room.tombstone' || event.type === 'm.room.member';
  }

  /** Every room event, after the mirror applied it: a tombstone, or the bot's invite to a replacement it waits for. */

  async observe(event: RoomEvent): Promise<void> {
    if (event.type === 'm.room.tombstone' && event.state_key === '') {
      const replacement = event.content['replacement_room'];
      if (typeof replacement === 'string' && replacement.startsWith('!') && replacement !== event.room_id) {
        await this.follow(event.room_id, replacement, event.sender);
      }
      return;
    }
    if (event.type === 'm.room.member' && event.state_key === this.deps.puppets.bot.userId && event.content['membership'] === 'invite') {
      const oldRoomId = await this.pending.get(`pending>${event.room_id}`);
      if (oldRoomId !== undefined) await this.follow(oldRoomId, event.room_id, event.sender);
    }
  }

  /**
   * Moves whatever the bridge keeps for `oldRoomId` to `newRoomId`. Returns the new room id,
   * or undefined when the bot cannot join it yet (or the old room was nothing of ours).
   * Safe to call again: a move done is not done twice.
   */
  follow(oldRoomId: string, newRoomId: string, upgrader?: string): Promise<string | undefined> {
    let run = this.running.get(oldRoomId);
    if (!run) {
      run = this.move(oldRoomId, newRoomId, upgrader).finally(() => this.running.delete(oldRoomId));
      this.running.set(oldRoomId, run);
    }
    return run;
  }

  /** The room a channel's events go to: its portal, or the portal's replacement when it was upgraded. */
  async current(channelId: string, roomId: string): Promise<string> {
    const replacement = (await this.deps.mirror.room(roomId))?.tombstone?.replacementRoom;
    if (replacement === undefined) return roomId;
    const moved = await this.moveWhileInChannel(channelId, roomId, replacement);
    if (moved === undefined) {
      throw new Error(`the portal of ${channelId} (${roomId}) was upgraded to ${replacement}, which the bot cannot join yet (it waits for an invite there) or which does not name ${roomId} as its predecessor`);
    }
    return moved;
  }

  /** The room `roomId` replaced, as its create event says (`predecessor.room_id`). */
  async predecessor(roomId: string): Promise<string | undefined> {
    const create = await (await this.deps.mirror.room(roomId))?.stateEvent('m.room.create');
    const predecessor = create?.content['predecessor'];
    const id = typeof predecessor === 'object' && predecessor !== null ? (predecessor as Record<string, unknown>)['room_id'] : undefined;
    return typeof id === 'string' ? id : undefined;
  }

  private async move(oldRoomId: string, newRoomId: string, upgrader: string | undefined): Promise<string | undefined> {
    const { mappings, logger } = this.deps;
    const channelId = await mappings.channelForRoom(oldRoomId);
    if (channelId === undefined) {
      if (await mappings.channelForRoom(newRoomId) !== undefined) return newRoomId; // moved already
      // Other rooms the bot is in are not the bridge's to follow.
      if (!await this.deps.isManagementRoom(oldRoomId)) return undefined;
      if (!await this.joinReplacement(oldRoomId, newRoomId, upgrader)) return undefined;
      if (await this.deps.managementRoomUpgraded(oldRoomId, newRoomId)) await this.pending.del(`pending>${newRoomId}`);
      return newRoomId;
    }
    return this.deps.inChannel(channelId, () => this.moveWhileInChannel(channelId, oldRoomId, newRoomId, upgrader))
      .catch((err: unknown) => {
        logger.warn({ err, channelId, oldRoomId, newRoomId }, 'could not follow the portal into its replacement room');
        throw err;
      });
  }

  /** The move proper; the caller holds the channel's order. */
  private async moveWhileInChannel(channelId: string, oldRoomId: string, newRoomId: string, upgrader?: string): Promise<string | undefined> {
    const { mappings, logger } = this.deps;
    if (await mappings.roomForChannel(channelId) === newRoomId) return newRoomId;
    if (!await this.joinReplacement(oldRoomId, newRoomId, upgrader)) return undefined;
    const ghosts = await this.ghostsIn(oldRoomId);
    for (const ghost of ghosts) {
      try {
        const puppet = this.deps.puppets.get(ghost);
        await puppet.ensureJoined(newRoomId, { via: viaFor(oldRoomId, upgrader) });
        await this.deps.memberRooms.record(ghost, newRoomId, true);
        // Out of the dead room: the homeserver would copy every later profile change of the
        // ghost into it (a member event per room it is in).
        await puppet.leave(oldRoomId, { reason: `moved to ${newRoomId}` });
        await this.deps.memberRooms.record(ghost, oldRoomId, false);
      } catch (err) {
        // One ghost that cannot follow (banned there) does not keep the portal in the dead room.
        logger.warn({ err, userId: ghost, roomId: newRoomId }, 'a ghost could not follow the portal into its replacement room');
      }
    }
    await mappings.moveChannel(channelId, oldRoomId, newRoomId);
    await this.pending.del(`pending>${newRoomId}`);
    logger.info({ channelId, oldRoomId, newRoomId, ghosts: ghosts.length }, 'portal followed into its replacement room');
    this.deps.linked(channelId, newRoomId);
    await this.deps.onRoomUpgrade?.({ channelId, oldRoomId, newRoomId });
    return newRoomId;
  }

  /** True once the bot is in the new room; false (and remembered) when it must wait for an invite. */
  private async joinReplacement(oldRoomId: string, newRoomId: string, upgrader: string | undefined): Promise<boolean> {
    const wasJoined = await this.deps.puppets.bot.isJoined(newRoomId);
    try {
      await this.deps.puppets.bot.ensureJoined(newRoomId, { via: viaFor(oldRoomId, upgrader) });
      // The ghosts' joins are judged by the mirror (the bot invites them where they may not
      // join by themselves): it must hold the new room now, not when the join's echo comes.
      if (!(await this.deps.mirror.room(newRoomId))?.hydrated) await this.deps.mirror.resync(newRoomId);
    } catch (err) {
      if (!(err instanceof PermissionDenied || (err instanceof MatrixError && err.isForbidden))) throw err;
      await this.pending.put(`pending>${newRoomId}`, oldRoomId);
      this.deps.logger.info({ oldRoomId, newRoomId, reason: err.message }, 'the bot may not join the replacement room yet; it follows when invited');
      return false;
    }
    // A tombstone only names a room: a real replacement names the old room back (its create
    // event's predecessor, set by the upgrade). Else anyone who may tombstone a portal could
    // move the channel into any room (another portal, a room of theirs).
    const predecessor = await this.predecessor(newRoomId);
    if (predecessor === oldRoomId) return true;
    await this.pending.del(`pending>${newRoomId}`);
    this.deps.logger.warn({ oldRoomId, newRoomId, predecessor }, 'a tombstone names a room that does not name the old room as its predecessor: not followed');
    if (!wasJoined) {
      await this.deps.puppets.bot.leave(newRoomId, { reason: `not the replacement of ${oldRoomId}` })
        .catch((e: unknown) => this.deps.logger.warn({ err: e, roomId: newRoomId }, 'could not leave a room a false tombstone named'));
    }
    return false;
  }

  /** The bridge's ghosts (not the bot) joined to the old room, as the mirror has them. */
  private async ghostsIn(roomId: string): Promise<string[]> {
    const room = await this.deps.mirror.room(roomId);
    if (!room) return [];
    const ghosts: string[] = [];
    for await (const member of room.members('join')) {
      if (member.userId !== this.deps.puppets.bot.userId && this.deps.namespaces.isControlledUser(member.userId)) ghosts.push(member.userId);
    }
    return ghosts;
  }
}

/** Servers to join through: the old room's (legacy room ids name it) and the upgrader's. */
function viaFor(oldRoomId: string, upgrader: string | undefined): string[] {
  const servers = [oldRoomId, upgrader].flatMap((id) => {
    const at = id?.indexOf(':') ?? -1;
    return id !== undefined && at > 0 ? [id.slice(at + 1)] : [];
  });
  return [...new Set(servers)];
}
