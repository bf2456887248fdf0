/**
 * A webhook's `username` as the ghost's display name. Anyone holding the hook's URL picks
 * that name, so it must not pass for a person in the room: a name equal to a joined or
 * invited member's display name, user ID or localpart (compared ignoring case, width and
 * invisible characters) gets a visible suffix, " (webhook)" by default. Element only
 * disambiguates two identical names in one room, and only by appending the user ID.
 * (bridgekit removes hidden characters from every ghost's name itself.)
 */
import { comparableName, type PluginRoomView } from 'matrix-bridgekit';

/**
 * The display name for a webhook ghost posting as `username` in `room`: the name, with
 * `suffix` when it matches a member who is not one of the bridge's ghosts (two hooks
 * posting as "deploybot" are both hooks already).
 */
export async function webhookDisplayName(
  room: PluginRoomView | undefined, username: string, isGhost: (userId: string) => boolean, suffix: string,
): Promise<string> {
  if (!room || suffix === '') return username;
  const wanted = comparableName(username);
  for (const membership of ['join', 'invite'] as const) {
    for await (const member of room.members(membership)) {
      if (isGhost(member.userId)) continue;
      const localpart = member.userId.slice(1).split(':')[0] ?? '';
      const names = [member.displayname ?? '', member.userId, localpart];
      if (names.some((n) => n !== '' && comparableName(n) === wanted)) return `${username}${suffix}`;
    }
  }
  return username;
}
