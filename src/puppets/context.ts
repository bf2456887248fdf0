import type { JsonObject } from '../events/types.js';
import type { HomeserverApi } from '../homeserver/index.js';
import type { Logger } from '../log/logger.js';
import type { Mirror } from '../mirror/index.js';
import type { Namespaces } from '../registration/index.js';
import type { Permissions } from './permissions.js';
import type { ProfileRecords } from './profile-records.js';
import type { Registrar } from './registrar.js';
import type { TypingTracker } from './typing.js';
import type { UnechoedWrites } from './unechoed.js';
import type { UploadCache } from './uploads.js';

/** What the puppets need from the mirror: its rooms, and (optionally) a way to refetch one. */
export type PuppetMirror = Pick<Mirror, 'room'> & Partial<Pick<Mirror, 'resync'>>;

/**
 * When the mirror cannot judge a room (never seen, or not hydrated):
 * - `ask-homeserver` (default): make the request and let the homeserver decide;
 * - `refuse`: throw `PermissionDenied` naming the unknown state, without a request.
 * Joins are never refused for this reason: joining is how the mirror comes to know a room.
 */
export type UnjudgedRoomPolicy = 'ask-homeserver' | 'refuse';

/** Everything one puppet's operations share with the others; built once by `Puppets`. */
export interface PuppetContext {
  readonly api: HomeserverApi;
  readonly mirror: PuppetMirror;
  readonly namespaces: Namespaces;
  readonly logger: Logger;
  readonly botUserId: string;
  readonly permissions: Permissions;
  readonly unechoed: UnechoedWrites;
  readonly uploads: UploadCache;
  readonly profiles: ProfileRecords;
  readonly registrar: Registrar;
  readonly typing: TypingTracker;
  /** `<roomId>\0<userId>` of joins whose outcome is unknown (timed out): checked before any new join. */
  readonly uncertainJoins: Set<string>;
  /** Added to the content of every event sent (the double-puppet marker). */
  readonly extraContent?: JsonObject;
}

/** Per-request controls every puppet operation passes through to the homeserver client. */
export interface RequestControls {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export function controlsOf(options: RequestControls): RequestControls {
  return {
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  };
}
