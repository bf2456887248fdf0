/**
 * What a plugin may add to the provisioning API (`/_matrix/provision/v1/`, docs/provisioning.md).
 * Every hook is optional: a route whose hook is missing answers 501 `M_UNRECOGNIZED`.
 * bridgekit has already authenticated the caller and checked the permissions config (and,
 * for room routes, the caller's power in the room) before a hook runs.
 */
import type { JsonObject } from '../events/types.js';
import type { RemoteChannel, RemoteUser } from './remote-events.js';

/** Who called the provisioning API: a Matrix user, checked. */
export interface ProvisioningCaller {
  readonly userId: string;
  /** `admin` in the permissions config (a bridge administrator). */
  readonly admin: boolean;
}

/** A remote user found from what a person typed (a nick, a phone number, an e-mail address). */
export interface ResolvedIdentifier {
  /** The remote user; bridgekit answers with their ghost's Matrix id too. */
  readonly user: RemoteUser;
  /** The direct chat with them, when one exists already (its portal's room id is answered). */
  readonly dmChannelId?: string;
}

export interface BridgeRoomRequest {
  /** A Matrix room the caller is in with enough power; the bridge bot has joined it. */
  readonly roomId: string;
  /** What the caller asked to bridge it to, as given (a channel name, a hook name). */
  readonly channel: string;
  readonly caller: ProvisioningCaller;
}

export interface BridgeRoomResult {
  /** The remote channel the room is now bridged to. */
  readonly channelId: string;
  /** Extra answer fields for the caller (e.g. a webhook's URL). Shown once; never logged. */
  readonly details?: JsonObject;
}

export interface UnbridgeRoomRequest {
  readonly roomId: string;
  /** Which bridged channel to remove, when the room may have several; undefined: all. */
  readonly channel?: string;
  readonly caller: ProvisioningCaller;
}

/** `resolve`, `dm`, `bridge` and `unbridge` of the provisioning API. */
export interface PluginProvisioning {
  /** Who is `identifier` on the remote network? Undefined: nobody (404 `M_NOT_FOUND`). */
  resolveIdentifier?(identifier: string, caller: ProvisioningCaller): Promise<ResolvedIdentifier | undefined>;
  /**
   * The caller wants a direct chat with `user`: answer the remote conversation (channel
   * `isDirect`). bridgekit creates its portal (or reuses the one it has), brings the
   * user's ghost in and invites the caller. Throw `ProvisioningRefusal` to refuse.
   */
  startDirectChat?(user: RemoteUser, caller: ProvisioningCaller): Promise<RemoteChannel>;
  /**
   * Bridge an existing Matrix room to a remote channel. Link it with `ctx.mappings` when
   * your bridge keeps one channel per room; answer what the caller needs to know. The
   * caller's power was judged in `roomId` only: refuse a channel already bridged to
   * another room, or the caller takes it away from that room.
   */
  bridgeRoom?(request: BridgeRoomRequest): Promise<BridgeRoomResult>;
  /** Undo `bridgeRoom`. False: nothing was bridged there (404 `M_NOT_FOUND`). */
  unbridgeRoom?(request: UnbridgeRoomRequest): Promise<boolean>;
}

/**
 * Thrown by a provisioning hook to refuse with a message for the caller: answered as
 * `{errcode, error}` with `status` (default 400 `M_INVALID_PARAM`). Anything else a
 * hook throws is a 500 that says nothing about the cause (it is logged).
 */
export class ProvisioningRefusal extends Error {
  constructor(message: string, readonly errcode = 'M_INVALID_PARAM', readonly status = 400) {
    super(message);
    this.name = 'ProvisioningRefusal';
  }
}
