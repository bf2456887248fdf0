import type { RoomEvent } from '../../src/events/types.js';

let counter = 0;

/** A syntactically valid room event for tests; ids are unique per process. */
export function makeEvent(roomId: string, overrides: Partial<RoomEvent> & Record<string, unknown> = {}): RoomEvent {
  counter++;
  return {
    type: 'm.room.message',
    event_id: `$test${process.pid}_${counter}`,
    room_id: roomId,
    sender: '@alice:localhost',
    origin_server_ts: 1_700_000_000_000 + counter,
    content: { msgtype: 'm.text', body: `message ${counter}` },
    ...overrides,
  };
}
