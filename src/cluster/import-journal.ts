import type { InboundItem } from '../events/types.js';
import type { Logger } from '../log/logger.js';
import { del, type Store } from '../store/index.js';
import { decodeRecord } from '../inbox/record.js';
import { inboxSections } from '../inbox/sections.js';

/**
 * Items journaled by a one-process run on this store (the key-value journal), not yet
 * handled, moved into the shared journal: switching a bridge to cluster mode, or dead
 * letters replayed by `bridgekit dead-letters` on the stopped bridge, loses nothing.
 * Each record is journaled again (deduplicated by item id, so a crash halfway repeats
 * nothing) and then deleted. Returns how many items were moved.
 */
export async function importLocalJournal(
  store: Store,
  journal: (txnId: string, items: readonly InboundItem[], receivedAt: number) => Promise<number>,
  logger: Logger,
): Promise<number> {
  const sections = inboxSections(store);
  let moved = 0;
  for await (const [key, value] of sections.journal.iterator()) {
    let record;
    try {
      record = decodeRecord(value);
    } catch (err) {
      logger.error({ err, seq: Number(key) }, 'a journaled transaction of a one-process run no longer parses; it stays in the journal');
      continue;
    }
    const skip = new Set<number>([...(record.header.d ?? []), ...((await sections.progress.get(key)) ?? [])]);
    const items = record.items.filter((_, i) => !skip.has(i));
    moved += await journal(record.header.t, items, record.header.r);
    await store.write([del(sections.journal, key), del(sections.progress, key)]);
  }
  return moved;
}
