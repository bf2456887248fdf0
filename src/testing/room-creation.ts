import { z } from 'zod';
import type { JsonObject } from '../events/types.js';
import type { HomeserverCore } from './core.js';
import { exclusive, invalidParam, MatrixError } from './errors.js';
import { changeMembership, userExistsOrAskAppservice } from './membership.js';
import type { Requester } from './requester.js';
import type { Room } from './room.js';

const jsonObject = z.record(z.string(), z.unknown());

export const createRoomBody = z.object({
  visibility: z.enum(['public', 'private']).optional(),
  room_alias_name: z.string().optional(),
  name: z.string().optional(),
  topic: z.string().optional(),
  invite: z.array(z.string()).optional(),
  room_version: z.string().optional(),
  creation_content: jsonObject.optional(),
  initial_state: z.array(z.object({ type: z.string(), state_key: z.string().optional(), content: jsonObject })).optional(),
  preset: z.enum(['private_chat', 'public_chat', 'trusted_private_chat']).optional(),
  is_direct: z.boolean().optional(),
  power_level_content_override: jsonObject.optional(),
});

export type CreateRoomBody = z.infer<typeof createRoomBody>;

/** Synapse's presets: join rule, whether guests may join, and the preset's power overrides. */
const PRESETS = {
  private_chat: { joinRule: 'invite', guests: true, inviteesHaveOps: false, powerOverride: { invite: 0 } },
  trusted_private_chat: { joinRule: 'invite', guests: true, inviteesHaveOps: true, powerOverride: { invite: 0 } },
  public_chat: { joinRule: 'public', guests: false, inviteesHaveOps: false, powerOverride: {} },
} as const;

/** Synapse's default power levels for a new room; v12 creators are not listed (they are above all levels). */
function defaultPowerLevels(creator: string, version: string): JsonObject {
  const creatorIsListed = version !== '12';
  return {
    users: creatorIsListed ? { [creator]: 100 } : {},
    users_default: 0,
    events: {
      'm.room.name': 50, 'm.room.power_levels': 100, 'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50, 'm.room.avatar': 50, 'm.room.tombstone': creatorIsListed ? 100 : 150,
      'm.room.server_acl': 100, 'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 50,
    historical: 100,
  };
}

/**
 * `POST /createRoom`, event for event in Synapse's order: create, the creator's join,
 * power levels, canonical alias, preset state, initial_state, name, topic, invites.
 */
export async function createRoom(core: HomeserverCore, requester: Requester, body: CreateRoomBody): Promise<{ room: Room; alias: string | undefined }> {
  const creator = requester.userId;
  const version = body.room_version ?? core.settings.defaultRoomVersion;
  const alias = body.room_alias_name === undefined ? undefined : `#${body.room_alias_name}:${core.serverName}`;
  if (alias !== undefined) checkAliasAvailable(core, requester, alias);
  const invitees = body.invite ?? [];
  for (const invitee of invitees) if (!invitee.startsWith('@')) throw invalidParam(`Invalid user ID ${invitee}`);

  const createContent: JsonObject = { ...body.creation_content, room_version: version };
  if (version === '10') createContent['creator'] = creator;
  else delete createContent['creator'];
  const room = core.rooms.create(version, creator, createContent);
  const send = (type: string, content: JsonObject, stateKey = '') =>
    core.rooms.send(room, { type, sender: creator, content, stateKey });

  changeMembership(core, room, creator, creator, 'join');
  const preset = PRESETS[body.preset ?? (body.visibility === 'public' ? 'public_chat' : 'private_chat')];
  const powerLevels: JsonObject = { ...defaultPowerLevels(creator, version), ...preset.powerOverride };
  if (preset.inviteesHaveOps) {
    powerLevels['users'] = { ...(powerLevels['users'] as JsonObject), ...Object.fromEntries(invitees.map((u) => [u, 100])) };
  }
  send('m.room.power_levels', { ...powerLevels, ...body.power_level_content_override });
  if (alias !== undefined) {
    core.directory.add(alias, room.roomId, creator);
    send('m.room.canonical_alias', { alias });
  }
  const initial = body.initial_state ?? [];
  const overridden = (type: string) => initial.some((e) => e.type === type && (e.state_key ?? '') === '');
  if (!overridden('m.room.join_rules')) send('m.room.join_rules', { join_rule: preset.joinRule });
  if (!overridden('m.room.history_visibility')) send('m.room.history_visibility', { history_visibility: 'shared' });
  if (preset.guests && !overridden('m.room.guest_access')) send('m.room.guest_access', { guest_access: 'can_join' });
  for (const event of initial) send(event.type, event.content, event.state_key ?? '');
  if (body.name !== undefined) send('m.room.name', { name: body.name });
  if (body.topic !== undefined) send('m.room.topic', { topic: body.topic });
  if (body.visibility === 'public') core.directory.published.set(room.roomId, '');

  for (const invitee of invitees) {
    await userExistsOrAskAppservice(core, invitee);
    const extra = body.is_direct ? { is_direct: true } : undefined;
    changeMembership(core, room, creator, invitee, 'invite', { extra });
  }
  return { room, alias };
}

/**
 * Refuses an alias that is taken, one in the appservice's exclusive namespace (for
 * anyone else), and, for the appservice, one outside its alias namespace (as Synapse does).
 */
export function checkAliasAvailable(core: HomeserverCore, requester: Requester, alias: string): void {
  if (core.directory.resolve(alias) !== undefined) throw new MatrixError(400, 'M_ROOM_IN_USE', 'Room alias already taken');
  const scope = core.appservice?.scope;
  if (!scope) return;
  if (requester.viaAppservice && !scope.inAliasNamespace(alias)) {
    throw exclusive('This application service has not reserved this kind of alias.');
  }
  if (!requester.viaAppservice && scope.ownsAliasExclusively(alias)) throw exclusive('This alias is reserved by an application service.');
}
