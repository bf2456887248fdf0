import { loadConfig } from '../config/index.js';
import { createLogger } from '../log/logger.js';
import { startBridge } from '../runtime/bridge.js';
import { exitOnSignals } from '../runtime/signals.js';
import { parseConfigCommand } from './args.js';
import type { Command } from './command.js';
import { checkPortsFree, portProblem } from './ports.js';
import { assertStoreOpens } from './store-access.js';

/** How often `run` asks an unreachable homeserver again, and says so. */
const HOMESERVER_WATCH_MS = 30_000;

export const runCommand: Command = {
  name: 'run',
  summary: 'run the bridge named in the config',
  usage: `bridgekit run -c config.yaml

Starts the bridge: opens the Level store, loads the plugin (bridge.plugin), and listens
for the homeserver on appservice.bind:appservice.port. While the homeserver does not
answer, says so in the log every ${HOMESERVER_WATCH_MS / 1000} s. Stops cleanly on SIGTERM/SIGINT;
anything received and not yet handled is handled on the next start.

  -c, --config   the bridge config (required)`,

  // A thin wrapper over startBridge: a program of your own can do the same (see README).
  async run(argv) {
    const command = parseConfigCommand(this, argv);
    if (!command) return 0;
    const config = await loadConfig(command.configPath);
    // A taken port may be a second run of this same bridge: then the store says so better.
    await checkPortsFree(config).catch(async (err: unknown) => {
      await assertStoreOpens(config.store);
      throw err;
    });
    const logger = createLogger({ level: config.logging.level });
    let fatal: ((err: Error) => void) | undefined;
    const starting = startBridge({ config, logger, watchHomeserverMs: HOMESERVER_WATCH_MS, onFatal: (err) => fatal?.(err) });
    // Signals are heard from the start: one that comes while the bridge is starting (a
    // cluster member joining, a plugin connecting) stops it once it has started, cleanly.
    exitOnSignals(async () => {
      const started = await starting.catch(() => undefined);
      await started?.stop();
    }, logger);
    const bridge = await starting.catch(async (err: unknown) => {
      // The log is buffered: write what it holds first, so the error is the last word.
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      throw portProblem(err, config) ?? err;
    });
    // A process reaped from its cluster stops and exits non-zero: its supervisor starts it again, as a new member.
    fatal = (err) => {
      logger.fatal({ err }, 'stopping: the bridge cannot go on');
      void bridge.stop().catch(() => undefined).finally(() => logger.flush(() => process.exit(1)));
    };
    // Keep running until a signal stops the process.
    return new Promise<number>(() => {});
  },
};
