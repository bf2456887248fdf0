import type { RoomEvent } from '../events/types.js';
import type { AppserviceScope } from './appservice-scope.js';
import type { AliasDirectory } from './directory.js';
import type { Room } from './room.js';
import type { RoomRegistry } from './rooms.js';

/**
 * Which events and EDUs the appservice receives, following Synapse's
 * `ApplicationService.is_interested_in_event`: its users as sender or member state_key,
 * rooms in its room namespace, rooms with a directory alias in its alias namespace, and
 * rooms where one of its users (or the bot) is joined.
 */
export class AppserviceInterest {
  constructor(
    private readonly scope: AppserviceScope,
    private readonly directory: AliasDirectory,
    private readonly rooms: RoomRegistry,
  ) {}

  inRoom(room: Room): boolean {
    if (this.scope.inRoomNamespace(room.roomId)) return true;
    if (this.directory.aliasesOf(room.roomId).some((alias) => this.scope.inAliasNamespace(alias))) return true;
    return room.joinedMembers().some((userId) => this.scope.controls(userId));
  }

  inEvent(room: Room, event: RoomEvent): boolean {
    if (this.scope.controls(event.sender)) return true;
    if (event.type === 'm.room.member' && typeof event.state_key === 'string' && this.scope.controls(event.state_key)) return true;
    return this.inRoom(room);
  }

  /** Presence of its own users, and of anyone sharing a room with one of them. */
  inPresenceOf(userId: string): boolean {
    if (this.scope.controls(userId)) return true;
    return this.rooms.all().some((room) => room.membership(userId) === 'join' && this.inRoom(room));
  }
}
