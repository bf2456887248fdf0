import { Sections } from '../../store/layout.js';
import type { RoomEvent } from '../../events/types.js';
import type { Mirror } from '../../mirror/index.js';
import type { Store, Section } from '../../store/index.js';
import type { Mappings } from '../mappings.js';

/** Store section: `<userId>\0<roomId>` → 1 for every room a user was last seen joined to. */
export const MEMBER_ROOMS_SECTION = Sections.memberRooms;

/**
 * Which portals a user is in, answered without scanning every portal.
 *
 * Why an index: presence arrives for every user sharing *any* room with the bridge, often
 * many times a minute, and the mirror can only answer "who is in room R", not "which rooms
 * is user U in". Scanning every portal per presence update would cost O(portals) reads.
 * So member events keep a persisted user → rooms index (a join adds the room, anything
 * else removes it), and a question reads only that user's few rooms.
 *
 * The index is a hint, not the truth: each candidate room is confirmed against the
 * mappings (is it a portal?) and the mirror (is the user joined now?). So it may record
 * every room, including rooms that become portals later, and a stale entry costs one read,
 * never a wrong answer. Writes are idempotent puts/deletes, so redelivered events are harmless.
 */
export class MemberRooms {
  private readonly section: Section<number>;

  constructor(store: Store, private readonly mirror: Pick<Mirror, 'room'>, private readonly mappings: Mappings) {
    this.section = store.section<number>(MEMBER_ROOMS_SECTION);
  }

  /** Follows a member event (any other event is ignored). */
  async observe(event: RoomEvent): Promise<void> {
    if (event.type !== 'm.room.member' || typeof event.state_key !== 'string') return;
    await this.record(event.state_key, event.room_id, event.content['membership'] === 'join');
  }

  /** Notes that the bridge made `userId` join (or leave) a room, before the echo arrives. */
  async record(userId: string, roomId: string, joined: boolean): Promise<void> {
    const key = `${userId}\u0000${roomId}`;
    if (joined) await this.section.put(key, 1);
    else await this.section.del(key);
  }

  /** Rooms the user was last seen joined to: hints, to be confirmed by the caller. */
  async *roomsOf(userId: string): AsyncGenerator<string> {
    const prefix = `${userId}\u0000`;
    for await (const key of this.section.keys({ gte: prefix, lt: `${prefix}\uffff` })) yield key.slice(prefix.length);
  }

  /** True when the user is joined to at least one portal, per the mappings and the mirror. */
  async sharesPortal(userId: string): Promise<boolean> {
    for await (const roomId of this.roomsOf(userId)) {
      if ((await this.mappings.channelForRoom(roomId)) === undefined) continue;
      const room = await this.mirror.room(roomId);
      if ((await room?.membership(userId)) === 'join') return true;
    }
    return false;
  }

  /** Adds every joined member of a room the mirror already holds (a room linked after it was hydrated). */
  async seedFromMirror(roomId: string): Promise<void> {
    const room = await this.mirror.room(roomId);
    if (!room) return;
    for await (const member of room.members('join')) await this.record(member.userId, roomId, true);
  }
}
