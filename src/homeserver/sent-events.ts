import type { Store, Section } from '../store/store.js';
import { put } from '../store/store.js';
import { Sections } from '../store/layout.js';

/** What a keyed send produced. */
export interface SentEvent {
  readonly eventId: string;
  readonly roomId: string;
  readonly sentAt: number;
}

/**
 * Keyed sends that succeeded, by derived txnId (section `homeserver.send-txns`).
 *
 * The homeserver's own txnId memory is short: Synapse keeps an appservice's transactions in
 * memory for 30–60 minutes and forgets them on restart (it persists txnIds only for
 * requests with a device, which appservice requests lack). This log makes "same key,
 * already sent" answerable for good, without a request.
 */
export class SentEventLog {
  private readonly section: Section<SentEvent>;

  constructor(private readonly store: Store) {
    this.section = store.section<SentEvent>(Sections.sendTxns);
  }

  async get(txnId: string): Promise<SentEvent | undefined> {
    return (await this.section.get(txnId)) ?? undefined;
  }

  async record(txnId: string, sent: SentEvent): Promise<void> {
    await this.store.write([put(this.section, txnId, sent)]);
  }
}
