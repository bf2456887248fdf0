import type { BridgeConfig } from '../config/index.js';
import { Inbox, type BridgeInbox, type ItemHandler } from '../inbox/index.js';
import type { Logger } from '../log/logger.js';
import type { BridgeMetrics } from '../metrics/index.js';
import type { Store } from '../store/index.js';
import {
  ClusterConnectionLeases, LocalConnectionLeases, SharedInbox, clusterSettings, type ConnectionLeaseService, type RoomCaches,
} from '../cluster/index.js';

/** Polls an imbalance of connections must last before one moves (and a free one waits for a process under its share). */
const CONNECTION_SETTLE_POLLS = 5;

export interface OpenInboxOptions {
  readonly config: BridgeConfig;
  readonly store: Store;
  readonly handle: ItemHandler;
  readonly roomCaches: RoomCaches;
  readonly logger: Logger;
  readonly metrics: BridgeMetrics | undefined;
  /** What the plugin says of cluster placement (the config may override it). */
  readonly placement: 'spread' | 'leader' | undefined;
  /** The process was reaped from its cluster and stopped handling (StartBridgeOptions.onFatal). */
  readonly onFatal: ((err: Error) => void) | undefined;
  /**
   * Cluster mode with encryption: the bot's crypto device, opened when this process takes
   * the lead (before it dispatches anything) and closed when it is fenced out.
   */
  readonly crypto?: { open(): Promise<void>; close(): Promise<void> };
}

export interface OpenedInbox {
  readonly inbox: BridgeInbox;
  /** Cluster mode: the same inbox, for what asks which rooms this process holds. */
  readonly shared: SharedInbox | undefined;
  /** The plugin's connection leases: in the cluster's leases table, or local to this process. */
  readonly leases: ConnectionLeaseService;
}

/**
 * The inbox the config asks for: the one-process inbox, or in cluster mode the shared one
 * (joining the cluster) with connection leases that follow its membership.
 */
export async function openInbox(options: OpenInboxOptions): Promise<OpenedInbox> {
  const { config, store, handle, roomCaches, logger, metrics } = options;
  const inboxLog = logger.child({ component: 'inbox' });
  const leaseLog = logger.child({ component: 'leases' });
  // Forwarded messages are retried as handlers are; looked for without a wake-up at each poll.
  const { maxAttempts, retryBaseMs, retryMaxMs } = config.inbox;
  const forwarding = { store, options: { maxAttempts, retryBaseMs, retryMaxMs, pollMs: config.cluster.pollSeconds * 1000 } };
  if (!config.cluster.enabled) {
    const inbox = await Inbox.open(store, handle, config.inbox, inboxLog, metrics?.inboxHooks);
    return { inbox, shared: undefined, leases: new LocalConnectionLeases(leaseLog, undefined, forwarding) };
  }
  const settings = clusterSettings(config, options.placement);
  const fatal = (err: Error) => {
    if (options.onFatal) options.onFatal(err);
    else logger.fatal({ err }, 'the bridge stopped handling events');
  };
  const { crypto } = options;
  if (crypto) {
    logger.info({ placement: settings.placement, asked: config.cluster.placement ?? options.placement ?? 'spread' },
      'cluster placement is leader (encryption is enabled): the leader holds every room and the bot\'s crypto device, the others stand by');
  }
  // Set once the inbox is open; the fencing hook reaches it then.
  let leases: ClusterConnectionLeases | undefined;
  const shared = await SharedInbox.open(store, handle, config.inbox, settings, roomCaches, inboxLog, {
    ...metrics?.inboxHooks,
    ...metrics?.clusterHooks,
    onFencedOut: () => {
      leases?.fencedOut();
      // Its writes are refused already; what runs on the machines ends, then they close.
      void crypto?.close();
      fatal(new Error('this process was reaped from the cluster (its heartbeat lapsed): another process handles its rooms now'));
    },
    ...(crypto ? {
      onLeading: async () => {
        const started = performance.now();
        await crypto.open();
        logger.info({ processId: shared.processId, openedInMs: Math.round(performance.now() - started) }, 'this process holds the bot\'s crypto device now (it leads the cluster)');
      },
      onLeadFailed: (err: Error) => fatal(new Error(`this process could not open the bot's crypto device on taking the lead: ${err.message}`, { cause: err })),
    } : {}),
  });
  // Spread: connections shared out too, an imbalance given a few polls to settle before one moves.
  const balance = settings.placement === 'spread' ? { settleMs: CONNECTION_SETTLE_POLLS * settings.pollMs } : undefined;
  leases = new ClusterConnectionLeases(store.postgres!, shared.processId, settings.pollMs, leaseLog, () => shared.mayLease, forwarding, balance);
  const cluster = leases;
  shared.onWake(() => cluster.wake());
  shared.onForwarded = () => cluster.forwarded();
  return { inbox: shared, shared, leases };
}
