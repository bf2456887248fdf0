import type { JsonObject } from '../events/types.js';
import { controlsOf, type PuppetContext, type RequestControls } from './context.js';
import { StateWriter } from './state.js';
import { sha256Hex, type MediaData } from './uploads.js';

/** A per-room profile: the room's member event, changed for this room only. */
export interface RoomProfile {
  readonly displayname?: string;
  /** `mxc://` URI. */
  readonly avatarUrl?: string;
}

/** Keys of a member event that belong to the join that carried them, not to the profile. */
const JOIN_ONLY_KEYS = ['join_authorised_via_users_server', 'third_party_invite', 'reason'];

/**
 * A puppet's profile: global displayname and avatar (no request when unchanged; an avatar
 * is uploaded only when its bytes changed), and per-room profiles through the member event.
 */
export class ProfileOps {
  constructor(private readonly ctx: PuppetContext, private readonly userId: string) {}

  async setDisplayName(displayName: string, options: RequestControls = {}): Promise<void> {
    if ((await this.ctx.profiles.get(this.userId)).displayName === displayName) return;
    await this.ctx.registrar.ensure(this.userId);
    await this.ctx.api.profile.setDisplayName(displayName, { asUser: this.userId, ...controlsOf(options) });
    await this.ctx.profiles.update(this.userId, { displayName });
  }

  /** Sets the avatar from bytes: uploaded and set only when their sha256 differs from the last avatar's. */
  async setAvatar(image: MediaData, options: RequestControls = {}): Promise<string> {
    const hash = sha256Hex(image.data);
    const current = await this.ctx.profiles.get(this.userId);
    if (current.avatarHash === hash && current.avatarUrl !== undefined) return current.avatarUrl;
    await this.ctx.registrar.ensure(this.userId);
    const avatarUrl = await this.ctx.uploads.upload(image, this.userId, controlsOf(options));
    await this.ctx.api.profile.setAvatarUrl(avatarUrl, { asUser: this.userId, ...controlsOf(options) });
    await this.ctx.profiles.update(this.userId, { avatarUrl, avatarHash: hash });
    return avatarUrl;
  }

  /** Sets the avatar to an `mxc://` URI already uploaded. */
  async setAvatarUrl(avatarUrl: string, options: RequestControls = {}): Promise<void> {
    if ((await this.ctx.profiles.get(this.userId)).avatarUrl === avatarUrl) return;
    await this.ctx.registrar.ensure(this.userId);
    await this.ctx.api.profile.setAvatarUrl(avatarUrl, { asUser: this.userId, ...controlsOf(options) });
    await this.ctx.profiles.update(this.userId, { avatarUrl, avatarHash: undefined });
  }

  /**
   * Sets the displayname and/or avatar in one room only, by sending the puppet's member
   * event with the new profile (the puppet must be joined). Returns the event id.
   */
  async setRoomProfile(roomId: string, profile: RoomProfile, options: RequestControls = {}): Promise<string> {
    const content: JsonObject = { ...(await this.currentMemberContent(roomId, options)), membership: 'join' };
    for (const key of JOIN_ONLY_KEYS) delete content[key];
    if (profile.displayname !== undefined) content['displayname'] = profile.displayname;
    if (profile.avatarUrl !== undefined) content['avatar_url'] = profile.avatarUrl;
    return new StateWriter(this.ctx, this.userId).set(roomId, 'm.room.member', this.userId, content, options);
  }

  /** The member event content as the mirror has it, else as the homeserver has it. */
  private async currentMemberContent(roomId: string, options: RequestControls): Promise<JsonObject> {
    const member = await (await this.ctx.mirror.room(roomId))?.member(this.userId);
    if (member?.membership === 'join') return { ...member.event.content };
    const fetched = await this.ctx.api.rooms.getStateContent(roomId, 'm.room.member', this.userId, { asUser: this.userId, ...controlsOf(options) });
    return fetched ?? {};
  }
}
