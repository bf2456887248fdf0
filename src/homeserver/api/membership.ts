import { requireId, requireObject, ShapeError } from '../../events/validate.js';
import type { HomeserverClient } from '../client.js';
import { route } from '../route.js';
import { actingUser, controls, type ActingOptions } from './acting.js';

export interface JoinOptions extends ActingOptions {
  /** Servers to join through, for a room id this homeserver is not in yet. */
  readonly via?: readonly string[];
  readonly reason?: string;
}

export interface ReasonOptions extends ActingOptions {
  readonly reason?: string;
}

export interface JoinedMember {
  readonly displayName?: string;
  readonly avatarUrl?: string;
}

/**
 * Room membership. Which of these are retried after a 5xx, a timeout or a broken
 * connection (429s always are):
 *
 * - join and leave: yes. They move the acting user itself to a target state; repeating
 *   one that already succeeded changes nothing (the homeserver drops a membership event
 *   identical to the current one), and the caller's intent ("be in", "be out") still holds
 *   if the state moved in between. The puppet layer depends on joins getting through.
 * - invite, kick, ban, unban: no. They act on someone else, whose state may change between
 *   our attempts (the invitee rejects, the kicked user rejoins): a late repeat would re-invite
 *   or kick again, a second visible effect, and a lost success would come back as a
 *   confusing 403. The caller sees the error and decides.
 */
export class MembershipApi {
  constructor(private readonly client: HomeserverClient) {}

  /** `POST /join/{roomIdOrAlias}`; returns the room id. */
  async join(roomIdOrAlias: string, options: JoinOptions = {}): Promise<string> {
    return this.client.request('POST', route('/_matrix/client/v3/join/{roomIdOrAlias}', { roomIdOrAlias }), {
      asUser: actingUser(this.client, options),
      // `via` since v1.12; `server_name` for homeservers that predate it.
      query: { via: options.via, server_name: options.via },
      body: withReason({}, options.reason),
      idempotent: true,
      parse: (body) => requireId(requireObject(body, 'response'), 'room_id', '!', 'response'),
      ...controls(options),
    });
  }

  async leave(roomId: string, options: ReasonOptions = {}): Promise<void> {
    await this.membershipPost(roomId, 'leave', {}, true, options);
  }

  async invite(roomId: string, userId: string, options: ReasonOptions = {}): Promise<void> {
    await this.membershipPost(roomId, 'invite', { user_id: userId }, false, options);
  }

  async kick(roomId: string, userId: string, options: ReasonOptions = {}): Promise<void> {
    await this.membershipPost(roomId, 'kick', { user_id: userId }, false, options);
  }

  async ban(roomId: string, userId: string, options: ReasonOptions = {}): Promise<void> {
    await this.membershipPost(roomId, 'ban', { user_id: userId }, false, options);
  }

  async unban(roomId: string, userId: string, options: ReasonOptions = {}): Promise<void> {
    await this.membershipPost(roomId, 'unban', { user_id: userId }, false, options);
  }

  /** `GET /joined_rooms` of the acting user. */
  async joinedRooms(options: ActingOptions = {}): Promise<string[]> {
    return this.client.request('GET', route('/_matrix/client/v3/joined_rooms'), {
      asUser: actingUser(this.client, options),
      parse: (body) => stringArray(requireObject(body, 'response')['joined_rooms'], 'response.joined_rooms'),
      ...controls(options),
    });
  }

  /** `GET /rooms/{roomId}/joined_members`: user id → profile in the room. */
  async joinedMembers(roomId: string, options: ActingOptions = {}): Promise<Map<string, JoinedMember>> {
    return this.client.request('GET', route('/_matrix/client/v3/rooms/{roomId}/joined_members', { roomId }), {
      asUser: actingUser(this.client, options),
      parse: parseJoinedMembers,
      ...controls(options),
    });
  }

  private async membershipPost(
    roomId: string, action: string, body: Record<string, unknown>, idempotent: boolean, options: ReasonOptions,
  ): Promise<void> {
    await this.client.request('POST', route(`/_matrix/client/v3/rooms/{roomId}/${action}`, { roomId }), {
      asUser: actingUser(this.client, options),
      body: withReason(body, options.reason),
      idempotent,
      ...controls(options),
    });
  }
}

function withReason(body: Record<string, unknown>, reason: string | undefined): Record<string, unknown> {
  return reason === undefined ? body : { ...body, reason };
}

function stringArray(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new ShapeError(path, 'must be an array of strings');
  }
  return value as string[];
}

function parseJoinedMembers(body: unknown): Map<string, JoinedMember> {
  const joined = requireObject(requireObject(body, 'response')['joined'], 'response.joined');
  const members = new Map<string, JoinedMember>();
  for (const [userId, value] of Object.entries(joined)) {
    const profile = requireObject(value, `response.joined.${userId}`);
    const displayName = profile['display_name'];
    const avatarUrl = profile['avatar_url'];
    members.set(userId, {
      ...(typeof displayName === 'string' ? { displayName } : {}),
      ...(typeof avatarUrl === 'string' ? { avatarUrl } : {}),
    });
  }
  return members;
}
