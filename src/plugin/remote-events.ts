/**
 * What a plugin tells bridgekit about the remote network: a discriminated union, pushed
 * with `ctx.remote.push`. Ids are the remote network's own; bridgekit maps them.
 */
import type { Mentions } from '../puppets/content/text.js';

/** A person on the remote network. `displayName`/`avatarUrl` are applied to their ghost. */
export interface RemoteUser {
  readonly id: string;
  readonly displayName?: string;
  /** `mxc://`, or `http(s)://` (downloaded and uploaded once per content). */
  readonly avatarUrl?: string;
  /**
   * The Matrix user this remote account belongs to (they logged in to the bridge with it).
   * Their messages, edits, reactions and redactions from other clients are then posted as
   * them, not as a ghost (double puppeting, config `doublePuppet`), without an echo back to
   * the plugin; without double puppeting for their homeserver, as the ghost.
   */
  readonly matrixUserId?: string;
}

/** A remote channel, group or conversation: one portal room. */
export interface RemoteChannel {
  readonly id: string;
  readonly name?: string;
  readonly topic?: string;
  readonly avatarUrl?: string;
  /** A link to the channel outside Matrix (its web page, an `irc://` URL): shown in the portal's bridge info. */
  readonly externalUrl?: string;
  /** A one-to-one conversation: the portal is a direct-message room. */
  readonly isDirect?: boolean;
  /** Matrix users to invite when the portal is created (e.g. the other side of a DM). */
  readonly invite?: readonly string[];
  /** Anyone may join the portal (`public_chat`), as anyone may enter the channel remotely. */
  readonly public?: boolean;
}

export interface RemoteMedia {
  readonly data: Uint8Array;
  readonly contentType: string;
  readonly filename: string;
  readonly width?: number;
  readonly height?: number;
  readonly durationMs?: number;
}

export interface InChannel {
  readonly channel: RemoteChannel;
  readonly sender: RemoteUser;
  /** When it happened on the remote side (ms since epoch); sent as `?ts=`. */
  readonly ts?: number;
}

export type RemoteEvent =
  | Omit<InChannel, 'sender'> & {
    readonly kind: 'message';
    /** Omitted: the bridge bot posts it (a message with no remote user behind it, e.g. a webhook's). */
    readonly sender?: RemoteUser;
    /** The remote message id: a message with an id seen before is not posted again. */
    readonly id: string;
    readonly text: string;
    readonly html?: string;
    readonly msgtype?: 'm.text' | 'm.notice' | 'm.emote';
    /** Remote id of the message this answers. */
    readonly replyTo?: string;
    /** Remote id of the thread's root message. */
    readonly threadRoot?: string;
    readonly media?: RemoteMedia;
    readonly externalUrl?: string;
    /** Matrix users it mentions (`m.mentions`: their clients notify them), or `room` for everyone. */
    readonly mentions?: Mentions;
  }
  | InChannel & { readonly kind: 'edit'; readonly targetId: string; readonly id: string; readonly text: string; readonly html?: string }
  | InChannel & { readonly kind: 'reaction'; readonly id: string; readonly targetId: string; readonly key: string }
  | InChannel & { readonly kind: 'redaction'; readonly targetId: string; readonly reason?: string }
  | InChannel & { readonly kind: 'typing'; readonly typing: boolean }
  | InChannel & { readonly kind: 'read'; readonly upToId: string }
  | InChannel & {
    readonly kind: 'membership';
    readonly membership: 'join' | 'leave' | 'kick' | 'ban' | 'unban';
    /** Whom a kick or ban is aimed at (the sender did it). */
    readonly target?: RemoteUser;
    readonly reason?: string;
  }
  /**
   * `target` got this power level in the channel (e.g. an IRC +o). The bot sets it, any level,
   * up or down; refused (`PushResult.refused`) when the bot may not. `sender` did it remotely.
   */
  | InChannel & { readonly kind: 'power'; readonly target: RemoteUser; readonly level: number }
  | { readonly kind: 'presence'; readonly sender: RemoteUser; readonly presence: 'online' | 'unavailable' | 'offline'; readonly statusMsg?: string }
  /** The sender's name or avatar changed: carried in `sender`. */
  | { readonly kind: 'profile'; readonly sender: RemoteUser }
  /** The channel's name, topic or avatar changed: carried in `channel`. */
  | { readonly kind: 'channel'; readonly channel: RemoteChannel; readonly sender?: RemoteUser };

export interface PushResult {
  readonly roomId?: string;
  readonly eventId?: string;
  /** True when the remote id was seen before and nothing was posted. */
  readonly duplicate: boolean;
  /** Why nothing was done, when the room's rules did not allow it (e.g. a ghost may not kick). */
  readonly refused?: string;
}
