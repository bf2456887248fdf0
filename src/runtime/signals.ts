import type { Logger } from '../log/logger.js';

/**
 * On the first SIGTERM or SIGINT, runs `stop` (stop accepting, let handlers finish, close
 * the store) and exits 0; a second signal exits at once. Nothing journaled is lost either
 * way: unfinished items are handled on the next start.
 */
export function exitOnSignals(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now; unfinished items stay journaled');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
