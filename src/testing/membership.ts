import type { JsonObject, RoomEvent } from '../events/types.js';
import type { HomeserverCore } from './core.js';
import { invalidParam, MatrixError, notFound } from './errors.js';
import { isRoomAlias } from './ids.js';
import type { Membership, Room } from './room.js';

/** The options every membership change may carry. */
export interface MembershipOptions {
  readonly reason?: string | undefined;
  readonly ts?: number | undefined;
  /** Extra content, e.g. `is_direct` on an invite. */
  readonly extra?: JsonObject | undefined;
}

/**
 * Makes sure an unknown local user in the appservice's exclusive namespace gets the
 * chance to exist: Synapse asks the appservice (`GET /_matrix/app/v1/users/{userId}`)
 * before treating such a user as unknown. Returns whether the user now exists.
 */
export async function userExistsOrAskAppservice(core: HomeserverCore, userId: string): Promise<boolean> {
  if (core.users.has(userId)) return true;
  const link = core.appservice;
  if (!link || !core.users.isLocal(userId) || !link.scope.ownsUserExclusively(userId)) return false;
  await link.api.queryUser(userId, core.settings.queryTimeoutMs);
  return core.users.has(userId);
}

/** Resolves `#alias:server` (asking the appservice about unknown aliases in its namespace) or a room ID. */
export async function resolveRoom(core: HomeserverCore, roomIdOrAlias: string): Promise<Room> {
  if (!isRoomAlias(roomIdOrAlias)) {
    if (!roomIdOrAlias.startsWith('!')) throw invalidParam(`${roomIdOrAlias} is not a legal room ID or alias`);
    // Synapse would ask other servers for a room it does not know: 404 M_UNKNOWN "No known servers".
    const room = core.rooms.get(roomIdOrAlias);
    if (!room) throw new MatrixError(404, 'M_UNKNOWN', 'No known servers');
    return room;
  }
  const roomId = await resolveAlias(core, roomIdOrAlias);
  if (!roomId) throw notFound(`Room alias ${roomIdOrAlias} not found`);
  return core.rooms.require(roomId);
}

export async function resolveAlias(core: HomeserverCore, alias: string): Promise<string | undefined> {
  const known = core.directory.resolve(alias);
  if (known) return known;
  const link = core.appservice;
  if (!link || !link.scope.inAliasNamespace(alias)) return undefined;
  await link.api.queryAlias(alias, core.settings.queryTimeoutMs);
  return core.directory.resolve(alias);
}

/**
 * Sends `target`'s membership change. Joins and invites carry the target's display name
 * and avatar, as Synapse adds them; a join that changes nothing is not sent again.
 */
export function changeMembership(
  core: HomeserverCore, room: Room, sender: string, target: string, membership: Membership, options: MembershipOptions = {},
): RoomEvent {
  const content: JsonObject = { ...options.extra, membership };
  if (membership === 'join' || membership === 'invite') Object.assign(content, profileContent(core, target));
  if (options.reason !== undefined) content['reason'] = options.reason;
  const current = room.stateEvent('m.room.member', target);
  if (membership === 'join' && current && current.sender === sender && sameJson(current.content, content)) return current;
  return core.rooms.send(room, { type: 'm.room.member', sender, stateKey: target, content, ts: options.ts });
}

function profileContent(core: HomeserverCore, userId: string): JsonObject {
  const user = core.users.get(userId);
  const content: JsonObject = {};
  if (user?.displayname !== undefined) content['displayname'] = user.displayname;
  if (user?.avatarUrl !== undefined) content['avatar_url'] = user.avatarUrl;
  return content;
}

/**
 * A profile change, sent to every room the user is joined to as a join → join member
 * event, like Synapse does (txn-31 in the fixtures).
 */
export function announceProfileChange(core: HomeserverCore, userId: string, ts?: number): void {
  for (const room of core.rooms.all()) {
    if (room.membership(userId) !== 'join') continue;
    try {
      changeMembership(core, room, userId, userId, 'join', { ts });
    } catch (error) {
      core.log.debug({ err: error, roomId: room.roomId }, 'profile update not sent to room');
    }
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortDeep(a)) === JSON.stringify(sortDeep(b));
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortDeep((value as Record<string, unknown>)[k])]));
  }
  return value;
}
