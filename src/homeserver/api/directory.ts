import { ShapeError, requireId, requireObject } from '../../events/validate.js';
import type { HomeserverClient } from '../client.js';
import { MatrixError } from '../errors.js';
import { route } from '../route.js';
import { actingUser, controls, type ActingOptions } from './acting.js';

export type Visibility = 'public' | 'private';

export interface ResolvedAlias {
  readonly roomId: string;
  readonly servers: string[];
}

/**
 * Room aliases and directory listings.
 *
 * `createAlias` is not repeated after a 5xx, timeout or broken connection: a repeat of one
 * that succeeded answers 409 M_ROOM_IN_USE, which would read as "someone else has it".
 * The caller can resolve the alias to find out. Deleting and listing set a state, and are
 * repeated.
 */
export class DirectoryApi {
  constructor(private readonly client: HomeserverClient) {}

  /** `PUT /directory/room/{roomAlias}`. */
  async createAlias(alias: string, roomId: string, options: ActingOptions = {}): Promise<void> {
    await this.client.request('PUT', route('/_matrix/client/v3/directory/room/{alias}', { alias }), {
      asUser: actingUser(this.client, options), body: { room_id: roomId }, idempotent: false, ...controls(options),
    });
  }

  async deleteAlias(alias: string, options: ActingOptions = {}): Promise<void> {
    await this.client.request('DELETE', route('/_matrix/client/v3/directory/room/{alias}', { alias }), {
      asUser: actingUser(this.client, options), ...controls(options),
    });
  }

  /** `GET /directory/room/{roomAlias}`, or undefined when the alias does not exist. */
  async resolveAlias(alias: string, options: ActingOptions = {}): Promise<ResolvedAlias | undefined> {
    try {
      return await this.client.request('GET', route('/_matrix/client/v3/directory/room/{alias}', { alias }), {
        asUser: actingUser(this.client, options),
        parse: (body) => {
          const obj = requireObject(body, 'response');
          const servers = obj['servers'] ?? [];
          if (!Array.isArray(servers) || !servers.every((s) => typeof s === 'string')) {
            throw new ShapeError('response.servers', 'must be an array of strings');
          }
          return { roomId: requireId(obj, 'room_id', '!', 'response'), servers: servers as string[] };
        },
        ...controls(options),
      });
    } catch (err) {
      if (err instanceof MatrixError && err.isNotFound) return undefined;
      throw err;
    }
  }

  /** `PUT /directory/list/room/{roomId}`: the homeserver's public room directory. */
  async setRoomVisibility(roomId: string, visibility: Visibility, options: ActingOptions = {}): Promise<void> {
    await this.client.request('PUT', route('/_matrix/client/v3/directory/list/room/{roomId}', { roomId }), {
      asUser: actingUser(this.client, options), body: { visibility }, ...controls(options),
    });
  }

  /** `PUT /directory/list/appservice/{networkId}/{roomId}`: the appservice's per-network directory. */
  async setAppserviceRoomVisibility(networkId: string, roomId: string, visibility: Visibility, options: ActingOptions = {}): Promise<void> {
    await this.client.request('PUT', route('/_matrix/client/v3/directory/list/appservice/{networkId}/{roomId}', { networkId, roomId }), {
      asUser: actingUser(this.client, options), body: { visibility }, ...controls(options),
    });
  }
}
