import type { InboundItem } from '../events/types.js';

/** One journaled inbound item. `seq` is its place in the homeserver's order. */
export interface JournalEntry {
  readonly seq: number;
  readonly txnId: string;
  readonly receivedAt: number;
  readonly item: InboundItem;
  /** Resumed after a restart or replayed from the dead letters: it may have been handled (in part) before. */
  readonly redelivered?: boolean;
}

/** A journal entry whose handler failed every attempt. */
export interface DeadLetter extends JournalEntry {
  readonly attempts: number;
  readonly error: string;
  readonly failedAt: number;
}

/** Zero-padded so that Level's byte order is numeric order. */
export function seqKey(seq: number): string {
  return seq.toString().padStart(16, '0');
}

/**
 * The lane an item is handled in: strictly in order within a lane, lanes concurrently.
 * Room events and room EDUs share their room's lane, so a typing notice never overtakes
 * the message before it.
 */
export function laneOf(item: InboundItem): string {
  switch (item.kind) {
    case 'event': return item.event.room_id;
    case 'ephemeral':
      if (item.event.room_id) return item.event.room_id;
      return item.event.sender ? `presence:${item.event.sender}` : `ephemeral:${item.event.type}`;
    case 'to_device': return `to_device:${item.message.to_user_id}`;
    // One lane for all device data: each item updates the same crypto state, in order.
    case 'device_changes': return 'device_changes';
  }
}

/** Ids for log lines: room, event, type. */
export function describeItem(item: InboundItem): Record<string, string | undefined> {
  switch (item.kind) {
    case 'event': return { roomId: item.event.room_id, eventId: item.event.event_id, type: item.event.type };
    case 'ephemeral': return { roomId: item.event.room_id, type: item.event.type };
    case 'to_device': return { type: item.message.type, userId: item.message.to_user_id };
    case 'device_changes': return { type: 'device_changes' };
  }
}
