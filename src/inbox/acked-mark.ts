import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** The file, in the store's folder (so that a copy of the folder carries it along). */
export const ACKED_MARK_FILE = 'bridgekit-acked-seq.json';

/** How often, at most, the mark is written (one fsync each). */
const FLUSH_INTERVAL_MS = 1_000;

export function ackedMarkPath(storeLocation: string): string {
  return join(storeLocation, ACKED_MARK_FILE);
}

/**
 * The mark as found on disk: the journal's next free sequence number after the newest
 * transaction answered 200. Undefined when there is none (a store from before the mark,
 * or a new one); a file that does not parse says so in `unreadable`.
 */
export async function readAckedMark(storeLocation: string | undefined): Promise<{ readonly seq?: number; readonly unreadable?: string }> {
  if (storeLocation === undefined) return {}; // PostgreSQL: no folder, no mark (its commits are its own)
  let text: string;
  try {
    text = await readFile(ackedMarkPath(storeLocation), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { unreadable: (err as Error).message };
  }
  try {
    const seq = (JSON.parse(text) as { ackedSeq?: unknown }).ackedSeq;
    if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0) return { seq };
  } catch {
    // Reported below, as any other shape.
  }
  return { unreadable: `${ACKED_MARK_FILE} does not hold {"ackedSeq": <number>}` };
}

/**
 * A high-water mark of the journal kept outside LevelDB: the sequence number past the
 * newest transaction the homeserver was answered 200 for, in a small file written (then
 * fsynced, then renamed into place) at most once a second.
 *
 * Why outside: a LevelDB write-ahead log (`*.log`) that lost its tail (the machine crashed
 * with `store.sync` off, a damaged disk, a half-copied backup) opens without a word, and
 * what it loses is the newest writes, the journal's counter among them. This file does not
 * go with it, so the next start sees the journal's counter behind the mark: transactions
 * answered 200 are gone. The mark trails the journal (it is written after the batch it
 * counts), so it never reports a loss that did not happen.
 */
export class AckedMark {
  private written: number;
  private wanted: number;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  /** @param storeLocation the Level folder; undefined (PostgreSQL) keeps no mark. */
  constructor(private readonly storeLocation: string | undefined, initial: number, private readonly onError: (err: unknown) => void) {
    this.written = this.wanted = initial;
  }

  /** Transactions up to `seq` (exclusive) are durable in the journal. */
  advance(seq: number): void {
    if (seq <= this.wanted || this.storeLocation === undefined) return;
    this.wanted = seq;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_INTERVAL_MS).unref();
  }

  /** Writes the mark now if it moved (also at a clean stop). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    if (this.wanted === this.written) return;
    const seq = this.wanted;
    this.flushing = writeMark(this.storeLocation!, seq).then(
      () => { this.written = Math.max(this.written, seq); },
      (err: unknown) => this.onError(err),
    ).finally(() => { this.flushing = undefined; });
    await this.flushing;
  }
}

/** Write to a temporary file, fsync it, rename it over the mark: a crash leaves the old mark or the new. */
export async function writeMark(storeLocation: string, seq: number): Promise<void> {
  const path = ackedMarkPath(storeLocation);
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(`${JSON.stringify({ ackedSeq: seq, at: new Date().toISOString() })}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  // The rename itself is durable once the folder is.
  const folder = await open(storeLocation, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
