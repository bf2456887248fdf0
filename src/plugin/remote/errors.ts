/**
 * A remote event that cannot be carried over as it stands, e.g. an edit of a message
 * bridgekit never posted. Thrown from `ctx.remote.push` so the plugin sees it, never a
 * silent drop.
 */
export class RemotePushError extends Error {
  constructor(
    readonly code: 'unknown-target' | 'missing-target',
    readonly kind: string,
    readonly channelId: string,
    message: string,
  ) {
    super(message);
    this.name = 'RemotePushError';
  }
}

/** The target of an edit, reaction, redaction or read marker is not mapped in this portal. */
export function unknownTarget(kind: string, channelId: string, roomId: string, targetId: string): RemotePushError {
  return new RemotePushError(
    'unknown-target', kind, channelId,
    `cannot bridge the ${kind} in channel ${channelId}: its target, remote message ${targetId}, was never bridged into ${roomId}`,
  );
}
