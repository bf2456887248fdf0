/**
 * A webhook's `username` as the ghost's display name. Anyone holding the hook's URL picks
 * that name, so it must not pass for a person in the room: a name equal to a joined or
 * invited member's display name, user ID or localpart (compared ignoring case, width and
 * invisible characters) gets a visible suffix, " (webhook)" by default. Element only
 * disambiguates two identical names in one room, and only by appending the user ID.
 */
import type { PluginRoomView } from 'matrix-bridgekit';

/** Control characters, bidirectional overrides and invisible characters: they hide what a name says. */
const HIDDEN = /[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** The name as shown: hidden characters removed, whitespace collapsed. */
export function cleanSenderName(name: string): string {
  return name.replace(HIDDEN, '').replace(/\s+/g, ' ').trim();
}

/** What two names are compared as: NFKC (full-width "Ａlice" is "Alice"), lower case, no hidden characters. */
function comparable(name: string): string {
  return cleanSenderName(name.normalize('NFKC')).toLowerCase();
}

/**
 * The display name for a webhook ghost posting as `username` in `room`: the cleaned name,
 * with `suffix` when it matches a member who is not one of the bridge's ghosts (two hooks
 * posting as "deploybot" are both hooks already).
 */
export async function webhookDisplayName(
  room: PluginRoomView | undefined, username: string, isGhost: (userId: string) => boolean, suffix: string,
): Promise<string> {
  const name = cleanSenderName(username) || 'webhook';
  if (!room || suffix === '') return name;
  const wanted = comparable(name);
  for (const membership of ['join', 'invite'] as const) {
    for await (const member of room.members(membership)) {
      if (isGhost(member.userId)) continue;
      const localpart = member.userId.slice(1).split(':')[0] ?? '';
      const names = [member.displayname ?? '', member.userId, localpart];
      if (names.some((n) => n !== '' && comparable(n) === wanted)) return `${name}${suffix}`;
    }
  }
  return name;
}
