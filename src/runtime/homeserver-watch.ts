import type { Logger } from '../log/logger.js';
import { probeVersions } from '../metrics/versions-probe.js';

export interface HomeserverWatchOptions {
  readonly url: string;
  readonly logger: Logger;
  /** How often the homeserver is asked (default 30 s). */
  readonly intervalMs?: number;
  /** How long one probe may take (default 5 s). */
  readonly timeoutMs?: number;
}

export interface HomeserverWatch {
  /** The first probe's outcome is logged. */
  readonly started: Promise<void>;
  stop(): void;
}

/**
 * Says in the log what `/ready` knows: a bridge whose homeserver does not answer is up but
 * cannot deliver anything. Warns at start and at every probe while the homeserver is
 * unreachable, and says when it answers again.
 */
export function watchHomeserver(options: HomeserverWatchOptions): HomeserverWatch {
  const { url, logger } = options;
  const intervalMs = options.intervalMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  let downSince: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const probe = async (): Promise<void> => {
    try {
      await probeVersions(url, timeoutMs);
      if (downSince !== undefined) {
        const downForSeconds = Math.round((Date.now() - downSince) / 1000);
        logger.info({ homeserver: url, downForSeconds }, `homeserver ${url} answers again (unreachable for ${downForSeconds} s); delivery resumes`);
      }
      downSince = undefined;
    } catch (err) {
      const reason = (err as Error).message;
      if (downSince === undefined) {
        downSince = Date.now();
        logger.warn({ homeserver: url, reason },
          `homeserver ${url} is unreachable (${reason}): the bridge is up but cannot deliver anything; check homeserver.url and that the homeserver runs`);
      } else {
        const downForSeconds = Math.round((Date.now() - downSince) / 1000);
        logger.warn({ homeserver: url, reason, downForSeconds }, `homeserver ${url} still unreachable after ${downForSeconds} s (${reason})`);
      }
    }
  };
  const next = (): void => {
    if (stopped) return;
    timer = setTimeout(() => { void probe().then(next); }, intervalMs);
    timer.unref();
  };
  const started = probe().then(next);
  return {
    started,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
