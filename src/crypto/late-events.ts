import type { InboundItem, RoomEvent } from '../events/types.js';
import type { HandlerContext, UnitOfWork } from '../inbox/index.js';
import type { Logger } from '../log/logger.js';
import { Sections, del, put, type Section, type Store, type WriteOp } from '../store/index.js';
import { Rounds } from './rounds.js';
import type { DecryptResult } from './service.js';

/** An encrypted event passed on as undecryptable, kept until its room key comes. */
export interface LateEvent {
  readonly event: RoomEvent;
  /** When it reached the plugin as undecryptable (ms since the epoch). */
  readonly passedOnAt: number;
  /** Journaled again (its key came): the inbox holds it, a scan leaves it alone. */
  readonly journaled?: boolean;
}

export type Decrypt = (event: RoomEvent, keyWaitMs: number) => Promise<DecryptResult>;
/** Journals `item` again at the end of the inbox's order, atomically with `ops` (`Inbox.inject`). */
export type Inject = (item: InboundItem, txnId: string, ops: readonly WriteOp[]) => Promise<void>;

/** The txnId of a journal record that brings back an event whose key came late. */
const LATE_TXN = 'late-key:';

/** How long an event waits for a key that never comes before it is forgotten (said in the log). */
export const LATE_KEEP_MS = 7 * 24 * 3_600_000;

/**
 * Events whose room key had not come when they were passed on as undecryptable. Each is
 * kept in the store before the plugin hears of it; when keys arrive (and
 * once at start, for keys that came while the bridge stopped) each one that now decrypts
 * is journaled again, under its event id, in the same write that marks it journaled. The
 * inbox then hands it on in its room's order, and `take` deletes it with that item's
 * acknowledgement: delivered once, across restarts.
 */
export class LateEvents {
  private readonly section: Section<LateEvent>;
  private inject: Inject | undefined;
  private readonly scans = new Rounds(() => this.scan(this.inject!));

  constructor(private readonly store: Store, private readonly decrypt: Decrypt, private readonly logger: Logger) {
    this.section = store.section(Sections.cryptoLateEvents);
  }

  /**
   * Keeps `event`, about to be passed on as undecryptable. Written at once, not with the
   * item's acknowledgement: a key that comes while the plugin hears of it must find it.
   */
  async remember(event: RoomEvent): Promise<void> {
    await this.store.write([put(this.section, event.event_id, { event, passedOnAt: Date.now() })]);
  }

  /** `event` decrypted after all (an interrupted try kept it): forgotten with the item's acknowledgement. */
  forget(work: UnitOfWork, event: RoomEvent): void {
    work.del(this.section, event.event_id);
  }

  /** The item is an event brought back by `scan`, not one from the homeserver. */
  isLateDelivery(event: RoomEvent, ctx: HandlerContext): boolean {
    return ctx.entry.txnId === LATE_TXN + event.event_id;
  }

  /**
   * Decrypts a brought-back event; decrypted, it is forgotten with the item's acknowledgement.
   * Undefined when it was delivered already (nothing kept under its id).
   */
  async take(event: RoomEvent, work: UnitOfWork): Promise<DecryptResult | undefined> {
    const kept = await this.section.get(event.event_id);
    if (!kept) return undefined;
    const result = await this.decrypt(event, 0);
    if (result.kind === 'decrypted') work.del(this.section, event.event_id);
    else work.put(this.section, event.event_id, { event: kept.event, passedOnAt: kept.passedOnAt }); // a later key brings it back
    return result;
  }

  /** Starts bringing events back (the inbox is running), with a first look for keys that came meanwhile. */
  start(inject: Inject): Promise<void> {
    this.inject = inject;
    return this.rescan();
  }

  /** Keys arrived: brings back what now decrypts. One scan at a time; a call during one makes it go round once more. */
  rescan(): Promise<void> {
    if (!this.inject) return Promise.resolve();
    return this.scans.run();
  }

  private async scan(inject: Inject): Promise<void> {
    const now = Date.now();
    for await (const [eventId, late] of this.section.iterator()) {
      if (late.journaled) continue;
      if (now - late.passedOnAt > LATE_KEEP_MS) {
        this.logger.info({ eventId, roomId: late.event.room_id }, 'no room key came for an undecryptable event in 7 days; it is no longer waited for');
        await this.store.write([del(this.section, eventId)]);
        continue;
      }
      let result: DecryptResult;
      try {
        result = await this.decrypt(late.event, 0);
      } catch (err) {
        // Kept as it is: the next scan tries it again.
        this.logger.warn({ err, eventId, roomId: late.event.room_id }, 'trying again to decrypt an event passed on as undecryptable failed');
        continue;
      }
      if (result.kind !== 'decrypted') {
        this.logger.debug({ eventId, reason: result.reason }, 'a kept undecryptable event still cannot be decrypted');
        continue;
      }
      this.logger.info({ eventId, roomId: late.event.room_id }, 'the room key of an event passed on as undecryptable came: it is handed on again, decrypted');
      await inject({ kind: 'event', event: late.event }, LATE_TXN + eventId, [put(this.section, eventId, { ...late, journaled: true })]);
    }
  }
}
