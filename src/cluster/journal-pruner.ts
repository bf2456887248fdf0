import type { Logger } from '../log/logger.js';
import type { SharedJournal } from './shared-journal.js';

/**
 * Keeps the shared journal small: rows whose items are all handled go at every
 * `handledMs` (the reads that look for unhandled work scan what is left), item ids past
 * the dedupe window at a slower pace. A prune still running is not started again.
 */
export class JournalPruner {
  private readonly timers: NodeJS.Timeout[] = [];
  private running = false;

  constructor(private readonly journal: SharedJournal, private readonly logger: Logger) {}

  start(handledMs: number, windowMs: number): void {
    this.every(handledMs, () => this.journal.pruneHandled());
    this.every(Math.min(windowMs / 4, 3_600_000), () => this.journal.prune(Date.now() - windowMs));
  }

  private every(ms: number, prune: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      if (this.running) return;
      this.running = true;
      prune().catch((err: unknown) => this.logger.warn({ err }, 'pruning the shared journal failed'))
        .finally(() => { this.running = false; });
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }
}
