import type { BridgeConfig } from '../config/index.js';
import type { ClusterSettings } from './shared-inbox.js';

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
    placement: cluster.placement ?? pluginPlacement ?? 'spread',
    ...(cluster.processId !== undefined ? { processId: cluster.processId } : {}),
  };
}
