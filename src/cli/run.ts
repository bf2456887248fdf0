import { loadConfig } from '../config/index.js';
import { createLogger } from '../log/logger.js';
import { startBridge } from '../runtime/bridge.js';
import { exitOnSignals } from '../runtime/signals.js';
import { parseConfigCommand } from './args.js';
import type { Command } from './command.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'run the bridge named in the config',
  usage: `bridgekit run -c config.yaml

Starts the bridge: opens the Level store, loads the plugin (bridge.plugin), and listens
for the homeserver on appservice.bind:appservice.port. Stops cleanly on SIGTERM/SIGINT;
anything received and not yet handled is handled on the next start.

  -c, --config   the bridge config (required)`,

  async run(argv) {
    const command = parseConfigCommand(this, argv);
    if (!command) return 0;
    const config = await loadConfig(command.configPath);
    const logger = createLogger({ level: config.logging.level });
    const bridge = await startBridge({ config, logger });
    exitOnSignals(() => bridge.stop(), logger);
    // Keep running until a signal stops the process.
    return new Promise<number>(() => {});
  },
};
