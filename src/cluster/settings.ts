import type { BridgeConfig } from '../config/index.js';
import type { InboxHooks } from '../inbox/inbox.js';
import type { MembershipOptions } from './membership.js';

export interface ClusterSettings extends MembershipOptions {
  /** The store's URL (the wake-up session opens a connection of its own). */
  readonly url: string;
  /** How often to look for work without a wake-up (a lost notification, lanes gone free). */
  readonly pollMs: number;
  /**
   * A lane idle this long (nothing queued, nothing unhandled) is given up, so that rooms
   * spread again over the processes (one restarted in a rolling restart gets its share).
   */
  readonly idleReleaseMs?: number;
  /**
   * `spread`: any live process leases rooms. `leader`: only the holder of the `leader` lease
   * does (the others journal and stand by; one of them takes the lease when it goes free).
   */
  readonly placement?: 'spread' | 'leader';
}

/** The lease whose holder leases every room when the placement is `leader`. */
export const LEADER_LEASE = 'leader';

export interface ClusterHooks extends InboxHooks {
  /** This process gained lanes (`takeover`: their last holder left work behind). */
  readonly onLeased?: (lanes: number, takeover: boolean) => void;
  /** This process is fenced out of the cluster: the bridge must stop (another process has its rooms). */
  readonly onFencedOut?: () => void;
  /**
   * Placement `leader`: this process took the leader lease; awaited before it leases or
   * dispatches anything (the crypto device is opened here). A failure gives the lease up:
   * the process leaves the cluster and `onLeadFailed` says why.
   */
  readonly onLeading?: () => Promise<void>;
  readonly onLeadFailed?: (err: Error) => void;
}

/** The cluster's settings from the config: the heartbeat a quarter of the lease TTL unless set. */
export function clusterSettings(config: BridgeConfig, pluginPlacement?: 'spread' | 'leader'): ClusterSettings {
  const { cluster, store } = config;
  if (store.url === undefined) throw new TypeError('cluster mode needs store.url');
  const leaseTtlMs = cluster.leaseTtlSeconds * 1000;
  return {
    url: store.url,
    leaseTtlMs,
    heartbeatMs: cluster.heartbeatSeconds !== undefined ? cluster.heartbeatSeconds * 1000 : leaseTtlMs / 4,
    pollMs: cluster.pollSeconds * 1000,
    // Encryption: one process drives the bot's crypto device, and it must hold every lane that feeds it.
    placement: config.encryption.enabled ? 'leader' : cluster.placement ?? pluginPlacement ?? 'spread',
    ...(cluster.processId !== undefined ? { processId: cluster.processId } : {}),
  };
}
