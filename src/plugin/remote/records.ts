import type { Section, Store } from '../../store/index.js';

/** What the remote side last told us about a ghost's global profile, and what it became. */
export interface GhostRecord {
  readonly displayName?: string;
  /** The remote avatar URL last applied (`mxc://` or `http(s)://`). */
  readonly avatarSource?: string;
  /** The `mxc://` URI it became. */
  readonly avatarMxc?: string;
  /** Earlier global names, newest first: a room still showing one of these follows the global name. */
  readonly pastNames?: readonly string[];
  readonly pastAvatars?: readonly string[];
}

/** A portal's avatar (the remote URL last applied, and its `mxc://` URI) and what its bridge info was built from. */
export interface ChannelRecord {
  readonly avatarSource?: string;
  readonly avatarMxc?: string;
  /** The channel's name, external URL and creator as last told (bridge info). */
  readonly name?: string;
  readonly externalUrl?: string;
  readonly creator?: string;
}

/** Store section of the remote pipeline (keys `ghost>…`, `channel>…`). */
export const REMOTE_SECTION = 'plugin.remote';

/** How many earlier names and avatars are remembered per ghost. */
const HISTORY = 8;

/**
 * The pipeline's own memory of remote profiles and channel avatars, so an unchanged name
 * or avatar costs no request and an `http(s)` image is downloaded only when its URL changes.
 */
export class RemoteRecords {
  private readonly section: Section<GhostRecord | ChannelRecord>;

  constructor(store: Store) {
    this.section = store.section<GhostRecord | ChannelRecord>(REMOTE_SECTION);
  }

  async ghost(userId: string): Promise<GhostRecord> {
    return ((await this.section.get(`ghost>${userId}`)) as GhostRecord | undefined) ?? {};
  }

  /** Stores the new profile, pushing the replaced name and avatar into the history. */
  async setGhost(userId: string, before: GhostRecord, after: Pick<GhostRecord, 'displayName' | 'avatarSource' | 'avatarMxc'>): Promise<void> {
    const record: GhostRecord = {
      ...after,
      pastNames: remember(before.pastNames, before.displayName, after.displayName),
      pastAvatars: remember(before.pastAvatars, before.avatarMxc, after.avatarMxc),
    };
    await this.section.put(`ghost>${userId}`, record);
  }

  async channel(channelId: string): Promise<ChannelRecord> {
    return ((await this.section.get(`channel>${channelId}`)) as ChannelRecord | undefined) ?? {};
  }

  async setChannel(channelId: string, record: ChannelRecord): Promise<void> {
    await this.section.put(`channel>${channelId}`, record);
  }
}

function remember(history: readonly string[] | undefined, replaced: string | undefined, current: string | undefined): string[] {
  const list = [...(history ?? [])];
  if (replaced !== undefined && replaced !== current) list.unshift(replaced);
  return [...new Set(list.filter((v) => v !== current))].slice(0, HISTORY);
}
