import type { SharedEntry } from './journal-items.js';

/** A transaction this process journaled: its block of sequence numbers and its new items. */
export interface JournaledBlock {
  readonly base: number;
  /** Just past its block (`base` + the items sent, duplicates included). */
  readonly end: number;
  readonly entries: readonly SharedEntry[];
}

/** Blocks waiting for a gap before them past this, the gap is taken for another process's and the journal is read. */
const MAX_WAITING = 8;

/**
 * What this process journaled itself, kept until the intake reaches it, so that its items
 * go to the dispatcher from memory rather than read back from the journal. The answers of
 * concurrent accepts come back in any order: a block that does not start where the intake
 * stands waits for the blocks before it while accepts of this process are in flight (the
 * gap may be theirs); with none in flight, or too many blocks waiting, the gap is another
 * process's and the journal must be read (as it is at every poll anyway).
 */
export class JournaledHere {
  private readonly waiting = new Map<number, JournaledBlock>();
  private inFlight = 0;

  /** An accept was sent. */
  sent(): void {
    this.inFlight++;
  }

  /** An accept's answer was taken up: its block (none when it failed: it took no numbers). */
  answered(block?: JournaledBlock): void {
    this.inFlight--;
    if (block) this.waiting.set(block.base, block);
  }

  /**
   * Hands over, in order, the blocks that continue from `next` (and forgets those behind it);
   * returns where the intake stands then, and whether a gap is left that the journal must fill.
   */
  advance(next: number, dispatch: (entry: SharedEntry) => void): { next: number; read: boolean } {
    for (;;) {
      let found: JournaledBlock | undefined;
      for (const block of this.waiting.values()) {
        if (block.end <= next) this.waiting.delete(block.base);
        else if (block.base <= next) found = block;
      }
      if (!found) break;
      this.waiting.delete(found.base);
      for (const entry of found.entries) if (entry.seq >= next) dispatch(entry);
      next = found.end;
    }
    return { next, read: this.waiting.size > 0 && (this.inFlight === 0 || this.waiting.size >= MAX_WAITING) };
  }
}
