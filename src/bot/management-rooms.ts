import type { Logger } from '../log/logger.js';
import type { Mirror } from '../mirror/index.js';
import type { StateChange } from '../plugin/matrix-events.js';
import type { Puppet } from '../puppets/index.js';
import type { Section, Store } from '../store/index.js';
import type { RoomOwnership } from '../cluster/room-caches.js';
import { RoomMap } from '../util/room-map.js';

const userKey = (userId: string) => `user!${userId}`;

/**
 * A state event the bot puts in every management room it creates, naming the user. Its
 * echo lets the bot find a room it created but did not get to remember (a crash between
 * the two), instead of making a second one.
 */
export const MANAGEMENT_MARKER = 'org.bridgekit.management_room';
const roomKey = (roomId: string) => `room!${roomId}`;

export interface ManagementRoomsOptions {
  readonly section: Section<string>;
  readonly bot: Puppet;
  readonly mirror: Pick<Mirror, 'room'>;
  readonly isControlled: (userId: string) => boolean;
  readonly logger: Logger;
  /** Which rooms this process holds (several processes, issue #21); default all. */
  readonly ownership?: RoomOwnership;
  /** Where a user's room is created once among every process on the store (`Store.withLock`). */
  readonly locks?: Pick<Store, 'withLock'>;
}

/**
 * One direct room per user with the bot (`is_direct`), where commands need no prefix.
 * Remembered in the store both ways (user → room, room → user). The room → user side is
 * also held in memory (one entry per user who has a management room), read from the store
 * on first use: every message asks whether its room is one, and that may not cost a read.
 * With several processes only the rooms this one holds are kept (see RoomMap): a room
 * whose lease moved is read again, since another process may have made it one.
 */
export class ManagementRooms {
  /** Creations under way, so that two calls for one user make one room. */
  private readonly creating = new Map<string, Promise<string>>();
  /** room → user, as stored. */
  private readonly owners: RoomMap<string>;

  constructor(private readonly options: ManagementRoomsOptions) {
    const { section } = options;
    this.owners = new RoomMap<string>({
      async *all() {
        const prefix = roomKey('');
        for await (const [key, userId] of section.iterator({ gte: prefix, lt: `${prefix}\uffff` })) yield [key.slice(prefix.length), userId];
      },
      one: (roomId) => section.get(roomKey(roomId)),
    }, options.ownership);
  }

  /** The user whose management room this is, if it is one. */
  ownerOf(roomId: string): Promise<string | undefined> {
    return this.owners.get(roomId);
  }

  /**
   * Whether the room is a management room, answered from memory; undefined when memory
   * cannot say (not read yet, or the room's lease moved): then ask `ownerOf`.
   */
  isManagementRoomKnown(roomId: string): boolean | undefined {
    const known = this.owners.peek(roomId);
    return known && known.value !== undefined;
  }

  /** The room's lease moved: whether it is a management room is read from the store next time. */
  forgetRoom(roomId: string): void {
    this.owners.forget(roomId);
  }

  /** Fenced out of every room: all read again. */
  forgetAll(): void {
    this.owners.forgetAll();
  }

  /** The user's management room, created (and the user invited) when they have none in use. */
  managementRoom(userId: string): Promise<string> {
    if (!/^@[^:]+:.+$/.test(userId)) return Promise.reject(new RangeError(`${userId} is not a user ID`));
    if (this.options.isControlled(userId)) return Promise.reject(new RangeError(`${userId} is one of the bridge's own users; it has no management room`));
    const running = this.creating.get(userId);
    if (running) return running;
    const locks = this.options.locks;
    // Cluster mode: another process may be making the same user's room; the lock makes one.
    const created = (locks ? locks.withLock(`management:${userId}`, () => this.existingOrNew(userId)) : this.existingOrNew(userId))
      .finally(() => this.creating.delete(userId));
    this.creating.set(userId, created);
    return created;
  }

  /** Takes a direct room the user invited the bot to as their management room, unless they have one in use. */
  async adopt(userId: string, roomId: string): Promise<boolean> {
    if (this.options.isControlled(userId) || this.creating.has(userId)) return false;
    const current = await this.options.section.get(userKey(userId));
    if (current !== undefined && current !== roomId && await this.inUse(current, userId)) return false;
    await this.remember(userId, roomId);
    this.options.logger.info({ roomId, userId }, 'direct room taken as the user\'s management room');
    return true;
  }

  /**
   * The echo of a marker: the bot created this room as `user`'s management room. Remembered
   * if the creation's own bookkeeping did not (the process died in between) and the user has
   * no other room in use. False when the event is not the bot's marker.
   */
  async markerSeen(change: StateChange): Promise<boolean> {
    const userId = change.content['user'];
    if (change.type !== MANAGEMENT_MARKER || change.sender !== this.options.bot.userId || typeof userId !== 'string') return false;
    // A creation under way remembers the room itself when createRoom returns.
    if (this.creating.has(userId) || this.options.isControlled(userId)) return true;
    const current = await this.options.section.get(userKey(userId));
    // Remembered already (by another process, maybe, after this one last read the room).
    if (current === change.roomId) {
      await this.owners.set(change.roomId, userId);
      return true;
    }
    if (current !== undefined && await this.inUse(current, userId)) return true;
    await this.remember(userId, change.roomId);
    this.options.logger.warn({ roomId: change.roomId, userId }, 'management room found by its marker: it was created but not remembered (a crash in between?)');
    return true;
  }

  /** The management room was upgraded: its replacement is the user's management room now. */
  async moved(oldRoomId: string, newRoomId: string): Promise<boolean> {
    const owner = await this.ownerOf(oldRoomId);
    if (owner === undefined) return false;
    await this.remember(owner, newRoomId);
    this.options.logger.info({ roomId: newRoomId, oldRoomId, userId: owner }, 'management room moved to its replacement');
    return true;
  }

  /** Forgets the room as a management room (the bot left it, or its user did). */
  async drop(roomId: string): Promise<void> {
    const owner = await this.ownerOf(roomId);
    if (owner === undefined) return;
    const ops: Array<{ type: 'del'; key: string }> = [{ type: 'del', key: roomKey(roomId) }];
    if (await this.options.section.get(userKey(owner)) === roomId) ops.push({ type: 'del', key: userKey(owner) });
    await this.options.section.batch(ops);
    await this.owners.set(roomId, undefined);
    this.options.logger.info({ roomId, userId: owner }, 'management room forgotten');
  }

  private async existingOrNew(userId: string): Promise<string> {
    const existing = await this.options.section.get(userKey(userId));
    if (existing !== undefined && await this.inUse(existing, userId)) return existing;
    const roomId = await this.options.bot.createRoom({
      preset: 'trusted_private_chat', isDirect: true, invite: [userId],
      initialState: [{ type: MANAGEMENT_MARKER, content: { user: userId } }],
    });
    await this.remember(userId, roomId);
    this.options.logger.info({ roomId, userId }, 'management room created');
    return roomId;
  }

  /**
   * Still usable unless the mirror shows the bot or the user gone. A room the mirror has
   * not seen yet counts as in use: it was just created and its echo is on its way.
   */
  private async inUse(roomId: string, userId: string): Promise<boolean> {
    const room = await this.options.mirror.room(roomId);
    if (!room) return true;
    const gone = (m: string | undefined) => m === 'leave' || m === 'ban';
    return !gone(await room.membership(this.options.bot.userId)) && !gone(await room.membership(userId));
  }

  private async remember(userId: string, roomId: string): Promise<void> {
    const previous = await this.options.section.get(userKey(userId));
    const dropsPrevious = previous !== undefined && previous !== roomId;
    await this.options.section.batch([
      ...(dropsPrevious ? [{ type: 'del' as const, key: roomKey(previous) }] : []),
      { type: 'put', key: userKey(userId), value: roomId },
      { type: 'put', key: roomKey(roomId), value: userId },
    ]);
    if (dropsPrevious) await this.owners.set(previous, undefined);
    await this.owners.set(roomId, userId);
  }
}
