import type { RoomView } from '../mirror/index.js';

/** A member's name in a room, one line (their display name there, else their localpart): how relayed messages name them. */
export async function displayNameIn(room: Pick<RoomView, 'member'>, userId: string): Promise<string> {
  const member = await room.member(userId);
  // eslint-disable-next-line no-control-regex
  const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean(member?.displayname ?? '') || clean(userId.slice(1).split(':')[0] ?? '') || userId;
}
