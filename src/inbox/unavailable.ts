/** Why a transaction cannot be taken now; the homeserver should retry it later. */
export class InboxUnavailable extends Error {
  constructor(message: string, readonly retryAfterMs: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'InboxUnavailable';
  }
}
