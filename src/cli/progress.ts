/** Where progress goes: stdout normally; anything with `write` (and maybe `isTTY`) in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export interface Progress {
  /** `n` more items done (default 1). */
  tick(n?: number): void;
  /** Ends the display: the bar's line is finished, or a last plain line is written. */
  done(): void;
}

const BAR_WIDTH = 30;
/** A terminal is redrawn at most this often; plain output gets a line per 10 % or per second. */
const REDRAW_MS = 100;
const LINE_MS = 1_000;

function percent(done: number, total: number): number {
  return total === 0 ? 100 : Math.floor((done / total) * 100);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Progress of long work (resync, dead-letter replay). On a terminal: one bar redrawn
 * in place with `\r`. Otherwise (a pipe, a log file, CI): plain lines, one each 10 %
 * or each second, whichever comes first, so logs show progress without flooding.
 */
export function progress(total: number, label: string, stream: ProgressStream = process.stdout): Progress {
  const started = Date.now();
  let done = 0;
  let lastDraw = 0;
  let lastLine = started;
  let lastDecile = 0;
  let finished = false;

  const bar = (): string => {
    const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
    const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percent(done, total)}% ${done}/${total}`;
    // Never wider than the terminal: a wrapped line cannot be redrawn with \r.
    return stream.columns ? line.slice(0, stream.columns - 1) : line;
  };
  const plain = (): string => `${label}: ${done}/${total} (${percent(done, total)}%)`;

  if (stream.isTTY) stream.write(`\r${bar()}`);
  return {
    tick(n = 1) {
      if (finished) return;
      done = Math.min(total, done + n);
      const now = Date.now();
      if (stream.isTTY) {
        if (now - lastDraw >= REDRAW_MS || done === total) {
          stream.write(`\r${bar()}`);
          lastDraw = now;
        }
        return;
      }
      // The 100 % line is done()'s, with the time taken.
      const decile = Math.floor(percent(done, total) / 10);
      if (done < total && (decile > lastDecile || now - lastLine >= LINE_MS)) {
        stream.write(`${plain()}\n`);
        lastDecile = decile;
        lastLine = now;
      }
    },
    done() {
      if (finished) return;
      finished = true;
      const took = seconds(Date.now() - started);
      if (stream.isTTY) stream.write(`\r${bar()} in ${took}\n`);
      else stream.write(`${plain()} done in ${took}\n`);
    },
  };
}
