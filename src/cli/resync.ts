import { loadConfig } from '../config/index.js';
import { HomeserverApi } from '../homeserver/index.js';
import { silentLogger } from '../log/logger.js';
import { probeVersions } from '../metrics/index.js';
import { Mirror, MirrorSections } from '../mirror/index.js';
import { loadRegistration } from '../registration/index.js';
import type { Store } from '../store/index.js';
import { parseConfigCommand } from './args.js';
import type { Command } from './command.js';
import { out, UsageError } from './output.js';
import { progress } from './progress.js';
import { openStoppedStore } from './store-access.js';

/** Rooms fetched at the same time: enough to hide latency, few enough not to be rate limited. */
const PARALLEL = 4;

async function mirrorRooms(store: Store): Promise<string[]> {
  const rooms: string[] = [];
  for await (const roomId of store.section(MirrorSections.rooms).keys()) rooms.push(roomId);
  return rooms;
}

export const resync: Command = {
  name: 'resync',
  summary: 'fetch rooms\' full state again and replace the mirror\'s copy',
  usage: `bridgekit resync -c config.yaml [roomId ...]

Fetches the current state of every room the mirror holds (or of the given rooms) from
the homeserver, as the bot, and replaces the mirror's copy. For a mirror that went
wrong, or after restoring an old store. Works on the store while the bridge is stopped.
Exit code 1 when any room could not be fetched (e.g. the bot is no longer in it).

  -c, --config   the bridge config (required)`,

  async run(argv) {
    const command = parseConfigCommand(this, argv);
    if (!command) return 0;
    const { positionals } = command.parsed;
    const bad = positionals.find((id) => !id.startsWith('!'));
    if (bad !== undefined) throw new UsageError(`bridgekit resync: '${bad}' is not a room id (!…)`);
    const config = await loadConfig(command.configPath);
    const registration = await loadRegistration(config.appservice.registration, config);
    // Fail at once rather than retrying every room against a homeserver that is down.
    await probeVersions(config.homeserver.url, 5_000).catch((e: unknown) => {
      throw new UsageError(`the homeserver at ${config.homeserver.url} does not answer: ${(e as Error).message}`);
    });
    const store = await openStoppedStore(config.store);
    const api = HomeserverApi.fromRegistration(registration, {
      baseUrl: config.homeserver.url, domain: config.homeserver.domain, store, logger: silentLogger(),
    });
    const mirror = new Mirror({ store, logger: silentLogger(), fetchState: api.rooms.stateFetcher() });
    const failures: string[] = [];
    let rooms: readonly string[] = [];
    try {
      rooms = positionals.length > 0 ? positionals : await mirrorRooms(store);
      if (rooms.length === 0) {
        out('the mirror holds no rooms; nothing to resync');
        return 0;
      }
      const shown = progress(rooms.length, 'resync');
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < rooms.length; i = next++) {
          const roomId = rooms[i]!;
          try {
            await mirror.resync(roomId);
          } catch (e) {
            failures.push(`${roomId}: ${(e as Error).message.split('\n')[0]}`);
          }
          shown.tick();
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, rooms.length) }, worker));
      shown.done();
    } finally {
      await mirror.close();
      await store.close();
    }
    out(`resynced ${rooms.length - failures.length} of ${rooms.length} room(s)`);
    if (failures.length === 0) return 0;
    out(`${failures.length} failed:`);
    for (const failure of failures) out(`  ${failure}`);
    return 1;
  },
};
