import type { InboundItem } from '../events/types.js';
import { parseTransaction } from '../events/index.js';
import { ephemeralId } from '../inbox/dedupe.js';
import { laneOf, seqKey, type JournalEntry } from '../inbox/entries.js';
import { itemsOf, singleItemBody } from '../inbox/record.js';
import { inboxSections } from '../inbox/sections.js';
import { errorLine, isFencedOut, isStoreError, put, type Store, type WriteOp } from '../store/index.js';
import { InboxUnavailable } from '../inbox/inbox.js';
import type { DeadLetters } from '../inbox/dead-letters.js';
import type { NewItem, SharedJournal } from './shared-journal.js';

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

/** Moves dead letters back into the shared journal, at the end of the order; returns how many. */
export async function replayDeadLetters(journal: SharedJournal, deadLetters: DeadLetters, seqs?: readonly number[]): Promise<number> {
  const letters = (await deadLetters.list()).filter((l) => seqs === undefined || seqs.includes(l.seq));
  // The id names the letter, so a replay interrupted before the letter is deleted journals it once.
  for (const letter of letters) await journal.insertOne(newItem(`replay!${letter.seq}!${letter.failedAt}`, letter.item), letter.txnId, Date.now());
  await deadLetters.drop(letters.map((l) => l.seq));
  return letters.length;
}

/**
 * An item the bridge brings back (an encrypted event whose key came late), then `ops`:
 * journaled first under an id of its own, so that a crash before `ops` journals it once.
 */
export async function injectItem(journal: SharedJournal, store: Store, item: InboundItem, txnId: string, ops: readonly WriteOp[]): Promise<void> {
  await journal.insertOne(newItem(`inject!${idOf(txnId, item)}`, item), txnId, Date.now());
  await store.write(ops);
}

/** What the homeserver is told when a transaction could not be journaled: a 503 to retry, where retrying helps. */
export function unavailableFor(err: unknown): unknown {
  if (isFencedOut(err)) return new InboxUnavailable('This bridge process left the cluster; another one takes the transaction', 1_000, err);
  if (isStoreError(err)) return new InboxUnavailable(`The bridge cannot write to its store (${errorLine(err)}); retry later`, 5_000, err);
  return err;
}
