import { resolve } from 'node:path';
import { loadConfig } from '../config/index.js';
import { buildRegistration, writeRegistration } from '../registration/index.js';
import { configOption, parseCommandArgs, requireConfigPath } from './args.js';
import type { Command } from './command.js';
import { out, UsageError } from './output.js';

export const generateRegistration: Command = {
  name: 'generate-registration',
  summary: 'write an appservice registration file from the config',
  usage: `bridgekit generate-registration -c config.yaml [-o registration.yaml] [--force]

Writes a registration with fresh random as_token/hs_token, the config's id, url and bot,
and exclusive user and alias namespaces from appservice.prefix. Give the file to the
homeserver (Synapse: app_service_config_files) and restart it.

  -c, --config   the bridge config (required)
  -o, --output   where to write (default: appservice.registration from the config)
  --force        replace an existing file (its tokens change: update the homeserver too)
  --if-missing   do nothing when the file exists (for first-start scripts)`,

  async run(argv) {
    const { values } = parseCommandArgs(this.name, argv, {
      ...configOption,
      output: { type: 'string', short: 'o' },
      force: { type: 'boolean' },
      'if-missing': { type: 'boolean' },
    });
    if (values['help']) {
      out(this.usage);
      return 0;
    }
    const config = await loadConfig(requireConfigPath(this.name, values['config']));
    const path = typeof values['output'] === 'string' ? resolve(values['output']) : config.appservice.registration;
    try {
      await writeRegistration(path, buildRegistration(config), values['force'] === true);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && values['if-missing']) {
        out(`${path} exists; keeping it`);
        return 0;
      }
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new UsageError(`${path} already exists; pass --force to replace it (the homeserver must then load the new tokens)`);
      }
      throw e;
    }
    out(`wrote ${path}`);
    out(`next: add it to the homeserver's app_service_config_files and restart the homeserver`);
    return 0;
  },
};
