import type { JsonObject } from '../events/types.js';
import type { HomeserverCore } from './core.js';
import type { Room } from './room.js';
import type { PresenceValue } from './users.js';

/**
 * Typing, receipts and presence: kept on the room or user, and pushed to the appservice
 * as EDUs when it is interested, in the shapes of the synapse-1.94 fixtures.
 */
export class EphemeralService {
  private readonly typingTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly core: HomeserverCore) {}

  setTyping(room: Room, userId: string, typing: boolean, timeoutMs?: number): void {
    const timerKey = `${room.roomId}\u0000${userId}`;
    clearTimeout(this.typingTimers.get(timerKey));
    this.typingTimers.delete(timerKey);
    const wasTyping = room.typing.has(userId);
    if (typing) {
      const duration = Math.min(timeoutMs ?? this.core.settings.typingTimeoutMs, this.core.settings.typingTimeoutMs);
      room.typing.set(userId, Date.now() + duration);
      const timer = setTimeout(() => this.setTyping(room, userId, false), duration);
      timer.unref();
      this.typingTimers.set(timerKey, timer);
    } else {
      room.typing.delete(userId);
    }
    if (typing || wasTyping) this.pushRoomEdu(room, { type: 'm.typing', room_id: room.roomId, content: { user_ids: [...room.typing.keys()] } });
  }

  /** Records a receipt; Synapse 1.94 pushes private ones (`m.read.private`) to appservices too. */
  receipt(room: Room, userId: string, receiptType: string, eventId: string, threadId?: string): void {
    const byType = room.receipts.get(eventId) ?? new Map<string, Map<string, JsonObject>>();
    room.receipts.set(eventId, byType);
    const byUser = byType.get(receiptType) ?? new Map<string, JsonObject>();
    byType.set(receiptType, byUser);
    const data: JsonObject = { ts: Date.now() };
    if (threadId !== undefined) data['thread_id'] = threadId;
    byUser.set(userId, data);
    this.pushRoomEdu(room, {
      type: 'm.receipt',
      room_id: room.roomId,
      content: { [eventId]: { [receiptType]: { [userId]: data } } },
    });
  }

  setPresence(userId: string, presence: PresenceValue, statusMsg?: string): void {
    const user = this.core.users.get(userId);
    if (!user) return;
    user.presence = { presence, statusMsg, lastActiveTs: Date.now() };
    const link = this.core.appservice;
    if (link && link.api.hasUrl && link.interest.inPresenceOf(userId)) link.pusher.enqueueEphemeral(presenceEdu(userId, user.presence));
  }

  stop(): void {
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.typingTimers.clear();
  }

  private pushRoomEdu(room: Room, edu: JsonObject): void {
    const link = this.core.appservice;
    if (link && link.api.hasUrl && link.interest.inRoom(room)) link.pusher.enqueueEphemeral(edu);
  }
}

/** The `m.presence` EDU: `currently_active` only while online, as Synapse reports it. */
export function presenceEdu(userId: string, state: { presence: PresenceValue; statusMsg: string | undefined; lastActiveTs: number }): JsonObject {
  const content: JsonObject = { presence: state.presence, last_active_ago: Date.now() - state.lastActiveTs };
  if (state.statusMsg !== undefined) content['status_msg'] = state.statusMsg;
  if (state.presence === 'online') content['currently_active'] = true;
  return { type: 'm.presence', sender: userId, content };
}
