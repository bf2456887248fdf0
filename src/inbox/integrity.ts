import type { Logger } from '../log/logger.js';
import { put, type Store } from '../store/index.js';
import { ACKED_MARK_FILE, readAckedMark } from './acked-mark.js';
import { readNextSeq, type Journal } from './journal.js';
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
  const { seq: mark, unreadable } = await readAckedMark(store.folder);
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

/**
 * Compares the journal with its high-water mark and says loudly when transactions answered
 * 200 are gone. The bridge goes on (the loss has happened; refusing to start would not
 * bring the items back and would stop the bridge for everyone): the loss is logged at
 * error, counted in a metric, recorded in the store for `bridgekit doctor`, and the lost
 * sequence numbers are never handed out again.
 */
export async function noticeLostItems(
  store: Store, journal: Journal, logger: Logger, hooks: { readonly onLostItems?: (count: number) => void },
): Promise<void> {
  const report = await checkJournalIntegrity(store, journal.next);
  if (report.unreadable) logger.warn({ problem: report.unreadable }, `${ACKED_MARK_FILE} could not be read; it is written again from the journal`);
  const { loss } = report;
  if (!loss) return;
  logger.error({ lostItems: loss.count, fromSeq: loss.fromSeq, toSeq: loss.toSeq, store: store.location },
    `${describeLoss(loss)}. They cannot be recovered from this store; set store.sync: true to make a machine crash unable to lose them`);
  hooks.onLostItems?.(loss.count);
  journal.skipTo(loss.toSeq);
  const { meta } = inboxSections(store);
  await store.write([
    put(meta, 'nextSeq', loss.toSeq),
    put(meta, 'lostItems', (report.earlier?.items ?? 0) + loss.count),
    put(meta, 'lostAt', Date.now()),
  ]);
}
