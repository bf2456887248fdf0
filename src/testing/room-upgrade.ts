import { z } from 'zod';
import type { JsonObject } from '../events/types.js';
import type { HomeserverCore } from './core.js';
import { MatrixError, notFound } from './errors.js';
import { changeMembership } from './membership.js';
import type { Requester } from './requester.js';
import type { Room } from './room.js';
import { SUPPORTED_ROOM_VERSIONS } from './rooms.js';

export const upgradeBody = z.object({ new_version: z.string().optional() });

/** The state Synapse 1.94 copies into the new room (`clone_existing_room`), in its order. */
const COPIED_TYPES = [
  'm.room.join_rules', 'm.room.name', 'm.room.topic', 'm.room.history_visibility', 'm.room.guest_access',
  'm.room.avatar', 'm.room.encryption', 'm.room.server_acl', 'm.room.power_levels',
] as const;

/**
 * `POST /rooms/{roomId}/upgrade` as Synapse 1.94 does it (`RoomCreationHandler.upgrade_room`):
 * the tombstone is authorised first (the requester must be allowed to send it in the old
 * room); a new room is made with the old one as `predecessor` and its state copied (the
 * requester raised to the level that copying needs), bans carried over; then the tombstone
 * is sent, local aliases (and the canonical alias) move, a published room is published
 * instead of the old one, the old room's `invite` and `events_default` are raised to
 * moderator, and the new room's power levels are set back to the old room's.
 */
export function upgradeRoom(core: HomeserverCore, requester: Requester, oldRoomId: string, body: z.infer<typeof upgradeBody>): string {
  if (body.new_version === undefined) throw new MatrixError(400, 'M_MISSING_PARAM', "Missing params: ['new_version']");
  const version = body.new_version;
  if (!(SUPPORTED_ROOM_VERSIONS as readonly string[]).includes(version)) {
    throw new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', 'Your homeserver does not support this room version');
  }
  const old = core.rooms.get(oldRoomId);
  if (!old) throw notFound(`Unknown room id ${oldRoomId}`);
  const user = requester.userId;
  // v12 room ids come from the new create event, which cannot name a tombstone made before it.
  const legacyId = version === '12' ? undefined : core.rooms.newRoomId();
  const tombstoneDraft = (replacement: string) => ({
    type: 'm.room.tombstone', sender: user, stateKey: '', content: { body: 'This room has been replaced', replacement_room: replacement },
  });
  const tombstone = legacyId !== undefined ? core.rooms.prepare(old, tombstoneDraft(legacyId)) : undefined;
  if (legacyId === undefined) core.rooms.prepare(old, tombstoneDraft('!pending')); // the same auth check, first

  const room = cloneRoom(core, old, user, version, legacyId, tombstone?.event.event_id);
  if (tombstone) core.rooms.sendPrepared(old, tombstone);
  else core.rooms.send(old, tombstoneDraft(room.roomId));
  moveAliases(core, old, room, user);
  if (core.directory.published.has(old.roomId)) {
    core.directory.published.set(room.roomId, core.directory.published.get(old.roomId) ?? '');
    core.directory.published.delete(old.roomId);
  }
  restrictOldAndRestoreLevels(core, old, room, user);
  return room.roomId;
}

function cloneRoom(core: HomeserverCore, old: Room, user: string, version: string, legacyId: string | undefined, tombstoneId: string | undefined): Room {
  const oldCreate = old.stateEvent('m.room.create')?.content ?? {};
  const creation: JsonObject = { room_version: version, predecessor: { room_id: old.roomId, ...(tombstoneId !== undefined ? { event_id: tombstoneId } : {}) } };
  if (oldCreate['m.federate'] === false) creation['m.federate'] = false;
  if (typeof oldCreate['type'] === 'string') creation['type'] = oldCreate['type'];
  if (version === '10') creation['creator'] = user;

  const initial = new Map<string, { type: string; stateKey: string; content: JsonObject }>();
  const types: string[] = [...COPIED_TYPES];
  for (const type of types) {
    const event = old.stateEvent(type);
    if (event) initial.set(`${type}\u0000`, { type, stateKey: '', content: event.content });
  }
  if (oldCreate['type'] === 'm.space') {
    for (const event of old.stateEvents()) {
      if (event.type === 'm.space.child' && Object.keys(event.content).length > 0) {
        initial.set(`m.space.child\u0000${event.state_key}`, { type: 'm.space.child', stateKey: event.state_key, content: event.content });
      }
    }
  }
  const levels = newRoomLevels(initial.get('m.room.power_levels\u0000')?.content ?? {}, user, version);
  if (version !== '12') raiseToCloningLevel(levels, user);
  initial.delete('m.room.power_levels\u0000');

  const room = core.rooms.create(version, user, creation, undefined, legacyId);
  const send = (type: string, content: JsonObject, stateKey = '') => core.rooms.send(room, { type, sender: user, content, stateKey });
  changeMembership(core, room, user, user, 'join');
  send('m.room.power_levels', levels);
  // The private_chat preset's state, where the old room had none of its own.
  if (!initial.has('m.room.join_rules\u0000')) send('m.room.join_rules', { join_rule: 'invite' });
  if (!initial.has('m.room.history_visibility\u0000')) send('m.room.history_visibility', { history_visibility: 'shared' });
  if (!initial.has('m.room.guest_access\u0000')) send('m.room.guest_access', { guest_access: 'can_join' });
  for (const { type, stateKey, content } of initial.values()) send(type, content, stateKey);
  for (const event of old.stateEvents()) {
    if (event.type === 'm.room.member' && event.content['membership'] === 'ban') {
      changeMembership(core, room, user, event.state_key, 'ban', { extra: event.content });
    }
  }
  return room;
}

/** Synapse gives the requester the level the copied state needs (it is set back afterwards). */
function raiseToCloningLevel(levels: JsonObject, user: string): void {
  const events = isObject(levels['events']) ? Object.values(levels['events']).map(toInt) : [];
  const needed = Math.max(toInt(levels['state_default'] ?? 50), toInt(levels['ban'] ?? 50), ...events);
  const users = isObject(levels['users']) ? levels['users'] : (levels['users'] = {});
  const current = toInt((users as JsonObject)[user] ?? levels['users_default'] ?? 0);
  if (current < needed) (users as JsonObject)[user] = needed;
}

/** Local aliases point at the new room; the canonical alias (and local alt aliases) move with them. */
function moveAliases(core: HomeserverCore, old: Room, room: Room, user: string): void {
  for (const alias of core.directory.aliasesOf(old.roomId)) {
    const creator = core.directory.creatorOf(alias) ?? user;
    core.directory.remove(alias);
    core.directory.add(alias, room.roomId, creator);
  }
  const canonical = old.stateEvent('m.room.canonical_alias');
  if (!canonical) return;
  const local = (alias: unknown): alias is string => typeof alias === 'string' && alias.endsWith(`:${core.serverName}`);
  const oldContent: JsonObject = { ...canonical.content };
  const newContent: JsonObject = {};
  if (local(canonical.content['alias'])) {
    newContent['alias'] = canonical.content['alias'];
    delete oldContent['alias'];
  }
  const alts = Array.isArray(canonical.content['alt_aliases']) ? canonical.content['alt_aliases'] : [];
  if (alts.length > 0) {
    newContent['alt_aliases'] = alts.filter(local);
    const kept = alts.filter((a) => !local(a));
    if (kept.length > 0) oldContent['alt_aliases'] = kept;
    else delete oldContent['alt_aliases'];
  }
  for (const [target, content] of [[old, oldContent], [room, newContent]] as const) {
    try {
      core.rooms.send(target, { type: 'm.room.canonical_alias', sender: user, content, stateKey: '' });
    } catch (err) {
      core.log.warn({ err, roomId: target.roomId }, 'could not update the canonical alias on upgrade');
    }
  }
}

/** Regular users may no longer speak (or invite) in the old room; the new one gets the old levels back. */
function restrictOldAndRestoreLevels(core: HomeserverCore, old: Room, room: Room, user: string): void {
  const oldLevels = old.stateEvent('m.room.power_levels')?.content;
  if (!oldLevels) return;
  const restricted = structuredClone(oldLevels);
  const level = Math.max(toInt(oldLevels['users_default'] ?? 0) + 1, 50);
  let updated = false;
  for (const key of ['invite', 'events_default']) {
    if (toInt(restricted[key] ?? 0) < level) {
      restricted[key] = level;
      updated = true;
    }
  }
  if (updated) {
    try {
      core.rooms.send(old, { type: 'm.room.power_levels', sender: user, content: restricted, stateKey: '' });
    } catch (err) {
      core.log.warn({ err, roomId: old.roomId }, 'unable to update power levels in the old room');
    }
  }
  core.rooms.send(room, { type: 'm.room.power_levels', sender: user, content: newRoomLevels(oldLevels, user, room.version), stateKey: '' });
}

/**
 * The old room's levels for the new room. Into v12 (later Synapse versions; 1.94 has no v12)
 * the creator, whose power is above all levels there, is left out of `users`.
 */
function newRoomLevels(levels: JsonObject, creator: string, version: string): JsonObject {
  const copy = structuredClone(levels);
  if (version === '12' && isObject(copy['users'])) delete copy['users'][creator];
  return copy;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toInt(value: unknown): number {
  const n = typeof value === 'string' ? Number.parseInt(value, 10) : value;
  return typeof n === 'number' && Number.isFinite(n) ? Math.trunc(n) : 0;
}
