import { ClusterConnectionLeases, RoomCaches, SharedInbox, type ClusterHooks } from '../../src/cluster/index.js';
import type { ItemHandler } from '../../src/inbox/index.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { Store } from '../../src/store/index.js';
import { usePgServer } from '../helpers/pg-server.js';

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
  /** How often forwarded messages are looked for without a wake-up (default 200 ms). */
  readonly forwardPollMs?: number;
  /** Tries of a forwarded message before it is given up (default 3, 20 ms apart at first). */
  readonly maxAttempts?: number;
  /** Spread the connections over the members (ConnectionBalance's settle time); default: first come. */
  readonly balanceSettleMs?: number;
}

export async function joinCluster(url: string, schema: string, options: MemberOptions = {}): Promise<ClusterMember> {
  const store = await Store.openPostgres(url, { schema, shared: true });
  let leases: ClusterConnectionLeases | undefined;
  const ttl = options.leaseTtlMs ?? 1_500;
  const inbox = await SharedInbox.open(store, options.handler ?? (async () => undefined), {},
    { url, leaseTtlMs: ttl, heartbeatMs: ttl / 4, pollMs: 200, ...(options.placement ? { placement: options.placement } : {}) }, new RoomCaches(),
    process.env['MEMBER_LOG'] ? createLogger({ level: 'warn' }) : silentLogger(),
    { ...options.hooks, onFencedOut: () => { leases?.fencedOut(); options.hooks?.onFencedOut?.(); } });
  const forwarding = { store, options: { maxAttempts: options.maxAttempts ?? 3, retryBaseMs: 20, retryMaxMs: 100, pollMs: options.forwardPollMs ?? 200 } };
  const balance = options.balanceSettleMs !== undefined ? { settleMs: options.balanceSettleMs } : undefined;
  const own = new ClusterConnectionLeases(store.postgres!, inbox.processId, options.retryMs ?? 200, silentLogger(), () => true, forwarding, balance);
  leases = own;
  inbox.onWake(() => own.wake());
  inbox.onForwarded = () => own.forwarded();
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

/**
 * Registers a describe block's hooks: a PostgreSQL server, a fresh schema per test, and
 * the members joined in a test stopped after it. `join` joins one more member.
 */
export function useClusterMembers(): {
  join(options?: MemberOptions): Promise<ClusterMember>;
  /** Takes a member out of the after-test stop (a test that stops it itself). */
  forget(member: ClusterMember): void;
} {
  const pg = usePgServer();
  let schema = '';
  const members: ClusterMember[] = [];
  beforeEach(() => { schema = pg.schema(); });
  afterEach(async () => {
    for (const m of members.splice(0)) await m.stop();
  });
  return {
    async join(options: MemberOptions = {}) {
      const member = await joinCluster(pg.url(), schema, options);
      members.push(member);
      return member;
    },
    forget(member) {
      members.splice(members.indexOf(member), 1);
    },
  };
}
