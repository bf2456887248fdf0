import type { Store } from '../store/index.js';
import { readAckedMark } from './acked-mark.js';
import { readNextSeq } from './journal.js';
import { inboxSections } from './sections.js';

/** Transactions answered 200 whose items are no longer in the journal. */
export interface JournalLoss {
  /** The first and past-the-last sequence numbers missing. */
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly count: number;
}

export interface IntegrityReport {
  /** The journal's next free sequence number, as the store has it now. */
  readonly nextSeq: number;
  /** The high-water mark from the file beside the store (undefined: none yet). */
  readonly mark?: number;
  /** Set when the journal is behind the mark: its write-ahead log lost acknowledged writes. */
  readonly loss?: JournalLoss;
  /** The mark file exists and could not be read. */
  readonly unreadable?: string;
  /** Losses found by earlier starts (kept in the store until the folder is replaced). */
  readonly earlier?: { readonly items: number; readonly lastAt: number };
}

/** Compares the journal's counter with the high-water mark kept outside LevelDB. */
export async function checkJournalIntegrity(store: Store, nextSeq?: number): Promise<IntegrityReport> {
  const next = nextSeq ?? await readNextSeq(store);
  const { seq: mark, unreadable } = await readAckedMark(store.location);
  const { meta } = inboxSections(store);
  const [lostItems, lostAt] = await meta.getMany(['lostItems', 'lostAt']);
  return {
    nextSeq: next,
    ...(mark !== undefined ? { mark } : {}),
    ...(mark !== undefined && mark > next ? { loss: { fromSeq: next, toSeq: mark, count: mark - next } } : {}),
    ...(unreadable !== undefined ? { unreadable } : {}),
    ...(lostItems ? { earlier: { items: lostItems, lastAt: lostAt ?? 0 } } : {}),
  };
}

/** One line for logs and `doctor`: what was lost and why it matters. */
export function describeLoss(loss: JournalLoss): string {
  return `${loss.count} item(s) (sequence numbers ${loss.fromSeq}–${loss.toSeq - 1}) the homeserver was told were safe are missing from the journal: `
    + 'the store\'s write-ahead log lost its newest writes (a machine crash with store.sync off, a damaged disk, or a partial copy)';
}
