import { cleanDisplayName } from '../../format/index.js';
import type { Logger } from '../../log/logger.js';
import { loggableUrl } from '../../log/urls.js';
import type { Mirror } from '../../mirror/index.js';
import type { Puppet, Puppets, RoomProfile } from '../../puppets/index.js';
import type { Mappings } from '../mappings.js';
import type { RemoteUser } from '../remote-events.js';
import type { ImageSource } from './media-source.js';
import type { MemberRooms } from './member-rooms.js';
import type { GhostRecord, RemoteRecords } from './records.js';

/** After an avatar download fails, how long before the same URL is tried again. */
const AVATAR_RETRY_MS = 5 * 60_000;

export interface GhostProfilesDeps {
  readonly puppets: Puppets;
  readonly mirror: Pick<Mirror, 'room'>;
  readonly mappings: Mappings;
  readonly memberRooms: MemberRooms;
  readonly records: RemoteRecords;
  /** Downloads remote avatars (through the guarded fetcher). */
  readonly images: ImageSource;
  readonly logger: Logger;
}

/**
 * A remote user's name and avatar onto their ghost: the global profile, then the ghost's
 * `m.room.member` in every portal it has joined, per-room names kept.
 *
 * The spec ("events on change of profile information") has the homeserver send a new
 * member event to every joined room when the global profile changes; Synapse does, and
 * overwrites per-room names as it goes. So the per-room profiles are read *before* the
 * global change, and afterwards each portal gets what it should show: the new global
 * values where the room followed the global profile, its own values where the bridge had
 * set a per-room one. The homeserver does not repeat an identical state event, so on a
 * server that already propagated, the rooms that follow the global profile get no new event.
 */
export class GhostProfiles {
  private readonly failedAvatars = new Map<string, number>();

  constructor(private readonly deps: GhostProfilesDeps) {}

  /** Applies `user`'s name and avatar to the ghost when they changed; no request otherwise. */
  async apply(ghostId: string, remote: RemoteUser): Promise<void> {
    // A remote name is untrusted: no hidden or reversing characters, within the homeserver's limit.
    const user = remote.displayName === undefined ? remote : { ...remote, displayName: cleanDisplayName(remote.displayName) || remote.id };
    const before = await this.deps.records.ghost(ghostId);
    const nameChanged = user.displayName !== undefined && user.displayName !== before.displayName;
    const avatarChanged = user.avatarUrl !== undefined && user.avatarUrl !== before.avatarSource && !this.recentlyFailed(user.avatarUrl);
    if (!nameChanged && !avatarChanged) return;

    const puppet = this.deps.puppets.get(ghostId);
    await puppet.ensureRegistered();
    const rooms = await this.roomProfiles(puppet);

    const after = { displayName: before.displayName, avatarSource: before.avatarSource, avatarMxc: before.avatarMxc };
    if (nameChanged && user.displayName !== undefined) {
      await puppet.setDisplayName(user.displayName);
      after.displayName = user.displayName;
    }
    if (avatarChanged && user.avatarUrl !== undefined) {
      const mxc = await this.setAvatar(puppet, user.avatarUrl);
      if (mxc !== undefined) {
        after.avatarSource = user.avatarUrl;
        after.avatarMxc = mxc;
      }
    }
    await this.deps.records.setGhost(ghostId, before, after);
    this.deps.logger.info({ userId: ghostId, remoteUserId: user.id, portals: rooms.length }, 'ghost profile updated');

    for (const { roomId, current } of rooms) {
      const wanted = roomProfileAfter(current, before, after);
      try {
        await puppet.setRoomProfile(roomId, wanted);
      } catch (err) {
        // One portal refusing (e.g. power levels) must not keep the others stale.
        this.deps.logger.warn({ err, roomId, userId: ghostId }, 'could not update the ghost\'s member event in a portal');
      }
    }
  }

  /** The ghost's per-room profile in every portal it has joined, as the mirror has it now. */
  private async roomProfiles(puppet: Puppet): Promise<Array<{ roomId: string; current: RoomProfile }>> {
    const out: Array<{ roomId: string; current: RoomProfile }> = [];
    for await (const roomId of this.deps.memberRooms.roomsOf(puppet.userId)) {
      if ((await this.deps.mappings.channelForRoom(roomId)) === undefined) continue;
      if (!await puppet.isJoined(roomId)) continue;
      const member = await (await this.deps.mirror.room(roomId))?.member(puppet.userId);
      out.push({
        roomId,
        current: {
          ...(member?.displayname !== undefined ? { displayname: member.displayname } : {}),
          ...(member?.avatarUrl !== undefined ? { avatarUrl: member.avatarUrl } : {}),
        },
      });
    }
    return out;
  }

  /** Sets the global avatar; a failed download is logged and retried only after a while. Returns the mxc URI. */
  private async setAvatar(puppet: Puppet, source: string): Promise<string | undefined> {
    try {
      const image = await this.deps.images(source);
      if (typeof image !== 'string') return await puppet.setAvatar(image);
      await puppet.setAvatarUrl(image);
      return image;
    } catch (err) {
      this.failedAvatars.set(source, Date.now());
      this.deps.logger.warn({ err, userId: puppet.userId, avatarUrl: loggableUrl(source) }, 'could not set the ghost\'s avatar; keeping the old one');
      return undefined;
    }
  }

  private recentlyFailed(source: string): boolean {
    const at = this.failedAvatars.get(source);
    if (at === undefined) return false;
    if (Date.now() - at < AVATAR_RETRY_MS) return true;
    this.failedAvatars.delete(source);
    return false;
  }
}

/**
 * What a room should show after a global change: a value that followed the global
 * profile (absent, the old global value, or an earlier one still waiting for its echo)
 * takes the new global value; anything else was set for this room and is kept. Before
 * the bridge ever set a global value, every room follows (the homeserver's default
 * name, e.g. the localpart, is nobody's choice).
 */
export function roomProfileAfter(current: RoomProfile, before: GhostRecord, after: Pick<GhostRecord, 'displayName' | 'avatarMxc'>): RoomProfile {
  const follows = (value: string | undefined, old: string | undefined, past: readonly string[] | undefined): boolean =>
    value === undefined || old === undefined || value === old || (past ?? []).includes(value);
  const displayname = follows(current.displayname, before.displayName, before.pastNames) ? after.displayName : current.displayname;
  const avatarUrl = follows(current.avatarUrl, before.avatarMxc, before.pastAvatars) ? after.avatarMxc : current.avatarUrl;
  return {
    ...(displayname !== undefined ? { displayname } : {}),
    ...(avatarUrl !== undefined ? { avatarUrl } : {}),
  };
}
