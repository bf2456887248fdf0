import type { RoomEvent } from '../events/types.js';

/**
 * Rooms whose state could not be read (the last fetch failed, or the bridge's own user is
 * only invited), and since when: the mirror waits `retryMs` before fetching them again.
 */
export class UnreadableRooms {
  private readonly since = new Map<string, number>();

  constructor(private readonly retryMs: number, private readonly isOwnUser: (userId: string) => boolean) {}

  mark(roomId: string): void {
    this.since.set(roomId, Date.now());
  }

  delete(roomId: string): void {
    this.since.delete(roomId);
  }

  clear(): void {
    this.since.clear();
  }

  /**
   * Whether to fetch a room's state now. After a failed fetch (or an invite of the bridge's
   * own user), wait `retryMs`, except when someone joins: a fetch usually fails because
   * the bridge is only invited, and a join (typically the bridge's own) is when it works.
   */
  shouldRetry(roomId: string, event: RoomEvent): boolean {
    const failedAt = this.since.get(roomId);
    if (failedAt === undefined) return true;
    const isJoin = event.type === 'm.room.member' && event.content['membership'] === 'join';
    return isJoin || Date.now() - failedAt >= this.retryMs;
  }

  /** An invite of one of the bridge's own users: an invited user may not read the state (Synapse answers 403). */
  invitesOwnUser(event: RoomEvent): boolean {
    return event.type === 'm.room.member' && event.content['membership'] === 'invite'
      && event.state_key !== undefined && this.isOwnUser(event.state_key);
  }
}
