/** Why a guarded fetch failed; `reason` is for code, the message for people. */
export type OutboundFetchReason = 'url' | 'private' | 'redirect' | 'status' | 'too-large' | 'timeout' | 'network';

export class OutboundFetchError extends Error {
  constructor(readonly reason: OutboundFetchReason, message: string, readonly status?: number) {
    super(message);
    this.name = 'OutboundFetchError';
  }
}
