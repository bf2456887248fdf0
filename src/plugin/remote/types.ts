import type { PushResult, RemoteEvent } from '../remote-events.js';

/** One kind of remote event. */
export type RemoteOf<K extends RemoteEvent['kind']> = Extract<RemoteEvent, { kind: K }>;

/** The remote events that happen in a channel (a portal). */
export type ChannelEvent = RemoteOf<'message' | 'edit' | 'reaction' | 'redaction' | 'typing' | 'read' | 'membership' | 'power'>;

/**
 * What `push` answers. `refused` is set when the mirror's permission engine (or the
 * homeserver) refused the action, e.g. a kick by a ghost without the power to kick:
 * nothing was changed, and retrying the same event will not help.
 */
export interface RemotePushResult extends PushResult {
  readonly refused?: string;
}
