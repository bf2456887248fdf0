import { ClusterConnectionLeases, RoomCaches, SharedInbox, type ClusterHooks } from '../../src/cluster/index.js';
import type { ItemHandler } from '../../src/inbox/index.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { Store } from '../../src/store/index.js';

/** One "process" of a cluster in a test: its store, its inbox (membership), its connection leases, wired as the bridge wires them. */
export interface ClusterMember {
  readonly store: Store;
  readonly inbox: SharedInbox;
  readonly leases: ClusterConnectionLeases;
  /** Stops it as the bridge does (the inbox, the connections, then the membership), then closes its store. */
  stop(): Promise<void>;
}

export interface MemberOptions {
  readonly leaseTtlMs?: number;
  /** How often its connection leases are tried without a wake-up. */
  readonly retryMs?: number;
  readonly handler?: ItemHandler;
  /** `leader`: only the holder of the leader lease leases lanes (default spread). */
  readonly placement?: 'spread' | 'leader';
  /** More hooks (onLeading …); the fencing hook stops its connection leases, then calls theirs. */
  readonly hooks?: ClusterHooks;
}

export async function joinCluster(url: string, schema: string, options: MemberOptions = {}): Promise<ClusterMember> {
  const store = await Store.openPostgres(url, { schema, shared: true });
  let leases: ClusterConnectionLeases | undefined;
  const ttl = options.leaseTtlMs ?? 1_500;
  const inbox = await SharedInbox.open(store, options.handler ?? (async () => undefined), {},
    { url, leaseTtlMs: ttl, heartbeatMs: ttl / 4, pollMs: 200, ...(options.placement ? { placement: options.placement } : {}) }, new RoomCaches(),
    process.env['MEMBER_LOG'] ? createLogger({ level: 'warn' }) : silentLogger(),
    { ...options.hooks, onFencedOut: () => { leases?.fencedOut(); options.hooks?.onFencedOut?.(); } });
  const own = new ClusterConnectionLeases(store.postgres!, inbox.processId, options.retryMs ?? 200, silentLogger());
  leases = own;
  inbox.onWake(() => own.wake());
  await inbox.start();
  return {
    store, inbox, leases: own,
    async stop() {
      await inbox.stop(1_000).catch(() => undefined);
      await own.close().catch(() => undefined);
      await inbox.close();
      await store.close().catch(() => undefined);
    },
  };
}
