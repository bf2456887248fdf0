import type { Mirror } from '../mirror/index.js';
import type { BridgeConfig } from '../config/index.js';
import type { BridgeInbox } from '../inbox/index.js';
import type { Logger } from '../log/logger.js';
import { MirrorSections } from '../mirror/index.js';
import type { Store } from '../store/index.js';
import type { BridgeMetrics } from './bridge-metrics.js';
import { Readiness } from './readiness.js';
import { serveMetrics, type MetricsServer } from './server.js';
import { probeVersions } from './versions-probe.js';

export interface MetricsRuntimeOptions {
  readonly config: BridgeConfig['metrics'];
  readonly homeserverUrl: string;
  readonly metrics: BridgeMetrics;
  readonly store: Store;
  readonly inbox: BridgeInbox & { readonly leased?: number };
  readonly mirror: Pick<Mirror, 'cachedRooms'>;
  readonly logger: Logger;
  /** Users' logins per state, when the plugin has logins. */
  readonly loginStates?: () => Readonly<Record<string, number>>;
  /** The plugin's other connections per state (ctx.status). */
  readonly connectionStates?: () => Readonly<Record<string, number>>;
  /** With encryption: whether this process holds the bot's crypto device now (cluster mode: the leader). */
  readonly cryptoDeviceHeld?: () => boolean;
  /** How long a `/ready` homeserver probe is reused (default 5 s). */
  readonly readyCacheMs?: number;
}

/** Scrapes that arrive while a count runs share it (several Prometheus servers, or a slow count). */
function shared(read: () => Promise<number>): () => Promise<number> {
  let running: Promise<number> | undefined;
  return () => (running ??= read().finally(() => { running = undefined; }));
}

async function countKeys(store: Store, section: string): Promise<number> {
  let n = 0;
  for await (const _ of store.section(section).keys()) n++;
  return n;
}

/** Connects the metrics to the running bridge and opens the metrics listener. */
export function startMetricsServer(options: MetricsRuntimeOptions): Promise<MetricsServer> {
  const { metrics, store, inbox } = options;
  metrics.track({
    backlog: () => inbox.backlog,
    // Counted at scrape (a key scan: milliseconds for thousands of rooms), not tracked per event.
    deadLetters: shared(() => inbox.deadLetters.count()),
    mirrorRooms: shared(() => countKeys(store, MirrorSections.rooms)),
    mirrorCachedRooms: () => options.mirror.cachedRooms,
    storeWrites: () => store.health,
    ...(options.loginStates ? { loginStates: options.loginStates } : {}),
    ...(options.connectionStates ? { connectionStates: options.connectionStates } : {}),
    ...('leased' in inbox ? { leasedLanes: () => inbox.leased ?? 0 } : {}),
    ...(options.cryptoDeviceHeld ? { cryptoDeviceHeld: options.cryptoDeviceHeld } : {}),
  });
  const readiness = new Readiness({
    storeOpen: () => store.db.status === 'open',
    storeWriteProblem: () => store.writeProblem(),
    homeserver: () => probeVersions(options.homeserverUrl, 3_000),
    ...(options.readyCacheMs !== undefined ? { cacheMs: options.readyCacheMs } : {}),
  });
  return serveMetrics({
    registry: metrics.registry, readiness, bind: options.config.bind, port: options.config.port, logger: options.logger,
  });
}
