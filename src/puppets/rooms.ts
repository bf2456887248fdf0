import { isOutcomeUnknown, type Visibility } from '../homeserver/index.js';
import { controlsOf, type PuppetContext, type RequestControls } from './context.js';
import {
  createRoomBody, fullAlias, spaceChildContent, spaceParentContent, spaceSettings,
  type RoomSettings, type SpaceChildOptions,
} from './content/room.js';
import { StateWriter } from './state.js';
import type { MediaData } from './uploads.js';

/** Settings of a room to create; the avatar may be bytes to upload. */
export interface CreateRoomOptions extends Omit<RoomSettings, 'avatarUrl'>, RequestControls {
  /** `mxc://` URI, or bytes uploaded (once per content) first. */
  readonly avatar?: string | MediaData;
}

export interface SpaceLinkOptions extends SpaceChildOptions, RequestControls {
  /** Also send `m.space.parent` in the child (default true). */
  readonly parentLink?: boolean;
  /** Mark the parent link canonical (default true). */
  readonly canonical?: boolean;
}

/** Rooms as wholes, created and arranged by one puppet (usually the bot). */
export class RoomOps {
  constructor(private readonly ctx: PuppetContext, private readonly userId: string) {}

  /**
   * Creates a portal room; returns its room id. `createRoom` is never repeated blindly (a
   * repeat would make a second room): when its outcome is unknown and an alias was asked
   * for, the alias says whether the room exists.
   */
  async createRoom(options: CreateRoomOptions = {}): Promise<string> {
    await this.ctx.registrar.ensure(this.userId);
    const { avatar, timeoutMs, signal, ...settings } = options;
    const controls = controlsOf({ ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(signal !== undefined ? { signal } : {}) });
    const avatarUrl = typeof avatar === 'string' || avatar === undefined ? avatar : await this.ctx.uploads.upload(avatar, this.userId, controls);
    const body = createRoomBody({ ...settings, ...(avatarUrl !== undefined ? { avatarUrl } : {}) });
    try {
      const roomId = await this.ctx.api.rooms.createRoom(body, { asUser: this.userId, ...controls });
      this.ctx.logger.info({ roomId, userId: this.userId }, 'room created');
      return roomId;
    } catch (err) {
      if (!isOutcomeUnknown(err) || settings.alias === undefined) throw err;
      const alias = fullAlias(settings.alias, this.ctx.namespaces.domain);
      const existing = await this.ctx.api.directory.resolveAlias(alias, controls);
      if (!existing) throw err;
      this.ctx.logger.warn({ roomId: existing.roomId, alias }, 'createRoom outcome unknown; its alias shows the room was made');
      return existing.roomId;
    }
  }

  /** Creates a space (`type: m.space`; only admins post to it unless `powerLevels` says otherwise). */
  createSpace(options: CreateRoomOptions = {}): Promise<string> {
    return this.createRoom({ ...options, ...spaceSettings(options) });
  }

  /**
   * Puts `childId` in the space: `m.space.child` in the space and, unless told otherwise,
   * `m.space.parent` in the child, both with `via` (this homeserver by default). Both are
   * judged before either is sent.
   */
  async addToSpace(spaceId: string, childId: string, options: SpaceLinkOptions = {}): Promise<void> {
    const via = options.via ?? [this.ctx.namespaces.domain];
    const child = spaceChildContent(via, options);
    const parent = options.parentLink === false ? undefined : spaceParentContent(via, options.canonical ?? true);
    await this.ctx.permissions.sendState(this.userId, spaceId, 'm.space.child', childId, child);
    if (parent) await this.ctx.permissions.sendState(this.userId, childId, 'm.space.parent', spaceId, parent);
    const state = new StateWriter(this.ctx, this.userId);
    await state.setChecked(spaceId, 'm.space.child', childId, child, controlsOf(options));
    if (parent) await state.setChecked(childId, 'm.space.parent', spaceId, parent, controlsOf(options));
  }

  /** Takes `childId` out of the space (empty contents remove both links). */
  async removeFromSpace(spaceId: string, childId: string, options: RequestControls & { readonly parentLink?: boolean } = {}): Promise<void> {
    const state = new StateWriter(this.ctx, this.userId);
    await state.set(spaceId, 'm.space.child', childId, {}, controlsOf(options));
    if (options.parentLink !== false) await state.set(childId, 'm.space.parent', spaceId, {}, controlsOf(options));
  }

  /**
   * Lists (or unlists) the room in the appservice's directory for one remote network
   * (`PUT /directory/list/appservice/{networkId}/{roomId}`).
   */
  async setNetworkDirectoryVisibility(roomId: string, networkId: string, visibility: Visibility, options: RequestControls = {}): Promise<void> {
    await this.ctx.api.directory.setAppserviceRoomVisibility(networkId, roomId, visibility, { asUser: this.userId, ...controlsOf(options) });
  }
}
