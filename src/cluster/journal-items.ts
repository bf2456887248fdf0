import type { InboundItem } from '../events/types.js';
import { parseTransaction } from '../events/index.js';
import { ephemeralId } from '../inbox/dedupe.js';
import { laneOf, seqKey, type JournalEntry } from '../inbox/entries.js';
import { itemsOf, singleItemBody } from '../inbox/record.js';
import { inboxSections } from '../inbox/sections.js';
import { put, type Store, type WriteOp } from '../store/index.js';
import type { NewItem } from './shared-journal.js';

/** One item of the shared journal as this process dispatches it. */
export interface SharedEntry extends JournalEntry {
  readonly lane: string;
}

/** The item's dedupe id: its event id, or an id from its transaction and content. */
export function idOf(txnId: string, item: InboundItem): string {
  return item.kind === 'event' ? item.event.event_id
    : ephemeralId(txnId, item.kind === 'ephemeral' ? item.event : item.kind === 'to_device' ? item.message : item.changes);
}

/** The item a shared journal row holds (a one-item transaction body), validated again. */
export function itemOf(body: Buffer): InboundItem {
  const items = itemsOf(parseTransaction(JSON.parse(body.toString('utf8'))));
  if (items.length !== 1) throw new Error(`a shared journal row holds ${items.length} items, not 1`);
  return items[0]!;
}


/** An item as the shared journal takes it: its id, its lane, its body as a one-item transaction. */
export function newItem(id: string, item: InboundItem): NewItem {
  return { id, lane: laneOf(item), body: singleItemBody(item) };
}

/** The write that keeps an item whose every attempt failed as a dead letter. */
export function deadLetterOp(store: Store, entry: JournalEntry, attempts: number, error: unknown): WriteOp {
  const { seq, txnId, receivedAt, item } = entry;
  const message = error instanceof Error ? error.message : String(error);
  return put(inboxSections(store).deadLetters, seqKey(seq), { seq, txnId, receivedAt, item, attempts, error: message, failedAt: Date.now() });
}
