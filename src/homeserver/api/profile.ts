import { isObject } from '../../events/validate.js';
import type { HomeserverClient } from '../client.js';
import { route } from '../route.js';
import { actingUser, controls, type ActingOptions } from './acting.js';

export interface Profile {
  readonly displayName?: string;
  readonly avatarUrl?: string;
}

/** Profiles of the acting user. Setting a value is a PUT of the value: safe to repeat. */
export class ProfileApi {
  constructor(private readonly client: HomeserverClient) {}

  async setDisplayName(displayName: string, options: ActingOptions = {}): Promise<void> {
    const userId = actingUser(this.client, options);
    await this.client.request('PUT', route('/_matrix/client/v3/profile/{userId}/displayname', { userId }), {
      asUser: userId, body: { displayname: displayName }, ...controls(options),
    });
  }

  /** `avatarUrl` is an `mxc://` URI (see MediaApi.upload). */
  async setAvatarUrl(avatarUrl: string, options: ActingOptions = {}): Promise<void> {
    const userId = actingUser(this.client, options);
    await this.client.request('PUT', route('/_matrix/client/v3/profile/{userId}/avatar_url', { userId }), {
      asUser: userId, body: { avatar_url: avatarUrl }, ...controls(options),
    });
  }

  /** `GET /profile/{userId}` of any user; fields the server leaves out stay undefined. */
  async getProfile(userId: string, options: ActingOptions = {}): Promise<Profile> {
    const body = await this.client.request('GET', route('/_matrix/client/v3/profile/{userId}', { userId }), {
      asUser: actingUser(this.client, options), ...controls(options),
    });
    const displayName = isObject(body) ? body['displayname'] : undefined;
    const avatarUrl = isObject(body) ? body['avatar_url'] : undefined;
    return {
      ...(typeof displayName === 'string' ? { displayName } : {}),
      ...(typeof avatarUrl === 'string' ? { avatarUrl } : {}),
    };
  }
}
