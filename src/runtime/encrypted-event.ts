import type { LateEvents } from '../crypto/late-events.js';
import type { DecryptResult } from '../crypto/service.js';
import type { RoomEvent } from '../events/types.js';
import type { HandlerContext } from '../inbox/index.js';
import type { CryptoOutcome } from '../plugin/host.js';

/**
 * Hands an event on: `original` (the encrypted event, when `event` is its plaintext) is what
 * the room holds, for the mirror; `event` and `crypto` are for the plugin host.
 */
export type EventHandler = (event: RoomEvent, ctx: HandlerContext, crypto?: CryptoOutcome, original?: RoomEvent) => Promise<void>;

export interface EncryptedEventDeps {
  /** Decrypts, waiting the configured while for a room key that has not come yet. */
  readonly decrypt: (event: RoomEvent) => Promise<DecryptResult>;
  readonly late: LateEvents;
}

/**
 * A person's `m.room.encrypted` event: decrypted and handed on as its plaintext; or handed
 * on as undecryptable and, when its key may still come, kept so that the key brings it back
 * (`LateEvents`); or, brought back so, handed on decrypted with `late: true`, once.
 */
export async function handleEncrypted(event: RoomEvent, ctx: HandlerContext, next: EventHandler, deps: EncryptedEventDeps): Promise<void> {
  if (deps.late.isLateDelivery(event, ctx)) {
    const result = await deps.late.take(event, ctx.work);
    if (!result) {
      ctx.logger.debug('an event brought back for its late key was handed on already');
      return;
    }
    // The plugin heard of it as undecryptable already; it stays kept for a later key.
    if (result.kind !== 'decrypted') return;
    return next(result.event, ctx, { encrypted: true, verified: result.verified, senderDevice: result.senderDevice, late: true }, event);
  }
  const result = await deps.decrypt(event);
  if (result.kind === 'undecryptable') {
    if (result.keyMayCome) await deps.late.remember(event);
    return next(event, ctx, { undecryptable: result.reason, withheld: result.withheld });
  }
  // An earlier try may have kept it and stopped before its acknowledgement.
  if (!ctx.firstDelivery) deps.late.forget(ctx.work, event);
  return next(result.event, ctx, { encrypted: true, verified: result.verified, senderDevice: result.senderDevice }, event);
}
