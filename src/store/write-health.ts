/** The first line of an error's message (Level's messages name the file and the OS error there). */
export function errorLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/** A failure of Level itself (a disk error, a closed store): abstract-level's errors carry a `LEVEL_` code. */
export function isStoreError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('LEVEL_');
}

/**
 * Whether the store's writes are going through: a run of failures, until a write succeeds
 * again. A failing disk (full, read-only, gone) shows here, so that
 * `/ready` can say so and recovery is noticed the moment a write lands.
 */
export class WriteHealth {
  /** `error`: the latest failure (what LevelDB says now); `since`: when the run began. */
  private failure: { error: unknown; readonly since: number; failures: number } | undefined;
  /** Every failed batch since the store opened (for the metric). */
  failedBatches = 0;

  failed(error: unknown): void {
    this.failedBatches++;
    if (this.failure) {
      this.failure.failures++;
      this.failure.error = error;
    } else {
      this.failure = { error, since: Date.now(), failures: 1 };
    }
  }

  /** A write landed: the store writes again. Returns the run of failures it ended, if any. */
  succeeded(): { readonly since: number; readonly failures: number } | undefined {
    const ended = this.failure;
    this.failure = undefined;
    return ended;
  }

  get failing(): boolean {
    return this.failure !== undefined;
  }

  /** Why writes fail, one line (LevelDB's message names the file and the OS error), or undefined. */
  get problem(): string | undefined {
    if (!this.failure) return undefined;
    return errorLine(this.failure.error);
  }
}
