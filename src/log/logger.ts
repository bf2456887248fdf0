import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Paths whose values never reach a log line. Tokens travel in registrations, configs,
 * request headers and query strings; pino removes them wherever they appear at these paths.
 */
export const REDACTED_PATHS = [
  'as_token', 'hs_token', 'access_token', 'token', 'secret', 'password',
  '*.as_token', '*.hs_token', '*.access_token', '*.token', '*.secret', '*.password',
  'headers.authorization', '*.headers.authorization', 'req.headers.authorization',
  'registration.as_token', 'registration.hs_token',
];

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  readonly name?: string;
}

export function createLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings = {
    name: options.name ?? 'bridgekit',
    level: options.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return pino(settings, destination ?? stdout());
}

/** How long a log line may wait in the buffer before it is written. */
const FLUSH_EVERY_MS = 200;

/**
 * stdout, buffered: lines are written 4 KiB at a time, or at the latest after
 * `FLUSH_EVERY_MS`, instead of one write(2) per line on the event loop (under load, about
 * a transaction's worth of CPU every few dozen transactions). pino flushes what is left
 * when the process exits; a SIGKILL can lose the last lines, never an event.
 */
function stdout(): DestinationStream {
  const stream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => stream.flush(), FLUSH_EVERY_MS).unref();
  return stream;
}

/** A logger that writes nothing, for tests and embedding. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
