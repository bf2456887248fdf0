import { loadConfig, type BridgeConfig } from '../config/index.js';
import { HomeserverApi, type ResolvedAlias } from '../homeserver/index.js';
import { silentLogger } from '../log/logger.js';
import { Mirror } from '../mirror/index.js';
import { loadRegistration } from '../registration/index.js';
import { parseConfigCommand } from './args.js';
import type { Command } from './command.js';
import { roomReport } from './inspect-format.js';
import { loginsReport } from './inspect-logins.js';
import { out, UsageError } from './output.js';
import { openStoppedStore } from './store-access.js';

const USAGE = `bridgekit inspect room -c config.yaml <roomId|#alias:server> [--all]
       bridgekit inspect logins -c config.yaml [@user:server]

Prints the mirror's view of a room, read from the store: version, creators, join rule,
members by membership, the power-level table and space links. An alias is resolved
through the homeserver's directory. Works on the store while the bridge is stopped.

  -c, --config   the bridge config (required)
  --all          list every member (default: the first 50 of each membership)

inspect logins lists users' logins to the remote network with their last reported state
(connected, bad_credentials …), all of them or one user's; never their credentials.`;

/** `#alias:server` → room id through the homeserver directory; a room id passes through. */
async function resolveRoom(config: BridgeConfig, target: string): Promise<string> {
  if (target.startsWith('!')) return target;
  if (!target.startsWith('#') || !target.includes(':')) {
    throw new UsageError(`bridgekit inspect room: '${target}' is neither a room id (!…) nor an alias (#…:server)`);
  }
  const registration = await loadRegistration(config.appservice.registration, config);
  const api = HomeserverApi.fromRegistration(registration, {
    baseUrl: config.homeserver.url, domain: config.homeserver.domain, logger: silentLogger(), retry: { maxAttempts: 1, timeoutMs: 10_000 },
  });
  let resolved: ResolvedAlias | undefined;
  try {
    resolved = await api.directory.resolveAlias(target);
  } catch (e) {
    throw new UsageError(`cannot resolve ${target}: ${(e as Error).message} (is the homeserver at ${config.homeserver.url} running?)`);
  }
  if (!resolved) throw new UsageError(`no room has the alias ${target} (the homeserver's directory does not know it)`);
  return resolved.roomId;
}

export const inspect: Command = {
  name: 'inspect',
  summary: 'show the mirror\'s view of a room (inspect room <roomId|alias>), or users\' logins (inspect logins)',
  usage: USAGE,

  async run(argv) {
    const command = parseConfigCommand(this, argv, { all: { type: 'boolean' } });
    if (!command) return 0;
    const { values, positionals } = command.parsed;
    const [what, target, ...extra] = positionals;
    if (what === 'logins' && extra.length === 0) {
      const config = await loadConfig(command.configPath);
      const store = await openStoppedStore(config.store);
      try {
        for (const line of await loginsReport(store, target)) out(line);
      } finally {
        await store.close();
      }
      return 0;
    }
    if (what !== 'room' || target === undefined || extra.length > 0) {
      throw new UsageError(`usage: ${USAGE.split('\n')[0]}\nTry 'bridgekit inspect --help'.`);
    }
    const config = await loadConfig(command.configPath);
    const roomId = await resolveRoom(config, target);
    const store = await openStoppedStore(config.store);
    // No fetchState: inspecting shows what the mirror holds, it never asks the homeserver.
    const mirror = new Mirror({ store, logger: silentLogger() });
    try {
      const room = await mirror.room(roomId);
      if (!room) throw new UsageError(`the mirror does not know room ${roomId}: the bridge has not seen it (is the bot in it?)`);
      for (const line of await roomReport(room, { allMembers: values['all'] === true, asked: target })) out(line);
    } finally {
      await mirror.close();
      await store.close();
    }
    return 0;
  },
};
