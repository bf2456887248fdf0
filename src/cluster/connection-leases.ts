import type { Logger } from '../log/logger.js';
import type { ConnectionLease, LeasedConnection, PluginLeases } from '../plugin/leases.js';
import type { PgLevel } from '../store/index.js';
import { ConnectionBalance, type BalanceOptions } from './connection-balance.js';
import { ForwardQueue } from './forward-queue.js';
import { Forwarder, type ForwardTargets, type HandlerForward } from './forwarder.js';
import { LeasedRun } from './leased-run.js';
import { pluginView, type ConnectionLeaseService, type ForwardingSetup } from './local-leases.js';

export { connectionLeaseKey } from './leased-run.js';

/** PostgreSQL's code for a foreign key violation: a lease for an owner that is gone (this process was reaped). */
const FOREIGN_KEY_VIOLATION = '23503';

function isOwnerGone(err: unknown): boolean {
  return (err as { cause?: { code?: unknown } } | undefined)?.cause?.code === FOREIGN_KEY_VIOLATION;
}

/**
 * Cluster mode: each connection runs in the one process that holds its lease, a row of
 * the leases table owned by the process's row (so reaping a dead process frees its
 * connections with its rooms). Every process keeps trying to take the leases it does not
 * hold (`INSERT … ON CONFLICT DO NOTHING`) at each cluster wake-up and on a timer, and
 * checks that it still holds the ones it runs: a lease gone (its process was reaped)
 * stops the connection. Spread placement: up to its share at once, and a surplus is
 * given up (ConnectionBalance). Work for a connection is forwarded to its holder (Forwarder).
 */
export class ClusterConnectionLeases implements ConnectionLeaseService, ForwardTargets {
  /** The connection run under each key in this process, held or waiting for its lease. */
  private readonly runs = new Map<string, LeasedRun>();
  /** Keys whose lease this process holds. */
  private readonly held = new Set<string>();
  /** Ticks, releases and the close run one at a time. */
  private queue: Promise<void> = Promise.resolve();
  private tickQueued = false;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly forwarder: Forwarder | undefined;
  private readonly balance: ConnectionBalance | undefined;

  constructor(
    private readonly db: PgLevel,
    private readonly processId: string,
    retryMs: number,
    private readonly logger: Logger,
    /** Whether this process may take leases now (placement `leader`: only while it leads). */
    private readonly mayLease: () => boolean = () => true,
    forwarding?: ForwardingSetup,
    /** Spread placement: connections shared out over the live processes (see ConnectionBalance); off: first come. */
    balance?: BalanceOptions,
  ) {
    this.balance = balance ? new ConnectionBalance(balance) : undefined;
    this.timer = setInterval(() => this.wake(), retryMs);
    this.timer.unref();
    if (forwarding) {
      const queue = new ForwardQueue(forwarding.store);
      // The holder is woken when a message for it commits (in the statement that commits it).
      db.notifyOnPut(Buffer.from(queue.prefix), 'fwd');
      this.forwarder = new Forwarder(queue, this, { ...forwarding.options, processId }, logger);
    }
  }

  /** The service a plugin sees: its keys under its own prefix. */
  forPlugin(plugin: string): PluginLeases {
    return pluginView(plugin, this);
  }

  runningHere(key: string): LeasedRun | undefined {
    const run = this.runs.get(key);
    return run?.running && this.held.has(key) && !this.closed ? run : undefined;
  }

  knows(key: string): boolean {
    return this.runs.has(key);
  }

  send(key: string, message: unknown): Promise<void> {
    return this.forwarding().forward(key, message);
  }

  forward(key: string, message: unknown, via: HandlerForward): Promise<void> {
    return this.forwarding().forward(key, message, via);
  }

  /** A forwarded message for this process may have been committed (a wake-up on the cluster's channel). */
  forwarded(): void {
    this.forwarder?.wake();
  }

  private forwarding(): Forwarder {
    if (!this.forwarder) throw new TypeError('forwarding needs the store (these connection leases were made without one)');
    return this.forwarder;
  }

  /** Leases held here, for `doctor`-like views and tests. */
  get holding(): readonly string[] {
    return [...this.held];
  }

  run(key: string, connection: LeasedConnection<unknown>): ConnectionLease {
    const previous = this.runs.get(key);
    const run = new LeasedRun(key, connection, this, this.logger);
    this.runs.set(key, run);
    if (previous) {
      // Replaced: the lease (when held) passes to the new one once the old one stopped.
      void previous.stop().then(() => {
        if (!this.closed && this.held.has(key) && this.runs.get(key) === run) void this.begin(run);
      });
    }
    this.wake();
    return run;
  }

  /** Something may have gone free (a cluster wake-up, the timer): one check, queued behind what runs. */
  wake(): void {
    if (this.tickQueued || this.closed) return;
    this.tickQueued = true;
    void this.serial(async () => {
      this.tickQueued = false;
      await this.tick();
    });
  }

  async release(run: LeasedRun): Promise<void> {
    await this.serial(async () => {
      if (this.runs.get(run.key) !== run) return run.stop();
      this.runs.delete(run.key);
      await this.forwarder?.idle(run.key);
      await run.stop();
      if (!this.held.delete(run.key)) return;
      await this.free([run.key]);
    });
  }

  /**
   * Cluster mode, this process reaped: its leases are gone already (with its row), and
   * another process may run its connections now; they stop here at once.
   */
  fencedOut(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    void this.forwarder?.close();
    for (const key of this.held) void this.runs.get(key)?.stop();
    this.held.clear();
  }

  /** The bridge stops: every connection stops, then its lease goes and the others are woken to take it. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.serial(async () => {
      if (this.closed) return;
      this.closed = true;
      // What is being delivered finishes before the connections stop (not sent again by the next holder).
      await this.forwarder?.close();
      const keys = [...this.held];
      await Promise.all(keys.map((key) => this.runs.get(key)?.stop()));
      this.held.clear();
      this.runs.clear();
      if (keys.length > 0) await this.free(keys).catch((err: unknown) => this.logger.warn({ err }, 'could not free the connection leases; they go with this process\'s row'));
    });
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task).catch((err: unknown) => {
      if (isOwnerGone(err)) return this.lostMembership();
      this.logger.warn({ err }, 'the connection leases could not be checked; trying again shortly');
    });
    this.queue = run;
    return run;
  }

  private lostMembership(): void {
    if (this.closed) return;
    this.logger.error({ processId: this.processId }, 'this process is no longer a member of the cluster: its connections stop');
    this.fencedOut();
  }

  /** Drops the leases this process lost, then takes what it can of those it wants. */
  private async tick(): Promise<void> {
    if (this.closed) return;
    const { leases } = this.db.tables;
    if (this.held.size > 0) {
      const keys = [...this.held];
      const still = new Set((await this.db.query<{ key: string }>(
        `SELECT key FROM ${leases} WHERE owner = $1 AND key = ANY($2::text[])`, [this.processId, keys])).map((r) => r.key));
      for (const key of keys) {
        if (still.has(key) || this.closed) continue;
        this.held.delete(key);
        this.logger.warn({ lease: key }, 'a connection lease was lost (this process was reaped); the connection stops here');
        await this.runs.get(key)?.stop();
      }
    }
    if (this.closed || !this.mayLease()) return;
    const wanted = [...this.runs.keys()].filter((key) => !this.held.has(key));
    const takes = this.balance && this.runs.size > 0 ? await this.rebalance(wanted) : wanted;
    if (takes.length === 0 || this.closed) return;
    const won = (await this.db.query<{ key: string }>(
      `INSERT INTO ${leases} (key, owner) SELECT k, $1 FROM unnest($2::text[]) AS k ON CONFLICT (key) DO NOTHING RETURNING key`,
      [this.processId, takes])).map((r) => r.key);
    for (const key of won) {
      this.held.add(key);
      const run = this.runs.get(key);
      if (run) await this.begin(run);
      else await this.drop(key); // released while the lease was being taken
    }
  }

  /**
   * Spread placement: which of the wanted keys to try for (up to this process's share at
   * once, see ConnectionBalance), and gives one surplus lease up when over its share.
   */
  private async rebalance(wanted: readonly string[]): Promise<string[]> {
    const balance = this.balance!;
    const { leases } = this.db.tables;
    const elsewhere = wanted.length === 0 ? new Set<string>() : new Set((await this.db.query<{ key: string }>(
      `SELECT key FROM ${leases} WHERE key = ANY($1::text[])`, [wanted])).map((r) => r.key));
    const free = wanted.filter((key) => !elsewhere.has(key));
    const view = await ConnectionBalance.read(this.db, this.processId, free.length);
    const surplus = balance.pickRelease([...this.held], view, (key) => elsewhere.has(key));
    if (surplus !== undefined && !this.closed) {
      const run = this.runs.get(surplus);
      this.logger.info({ lease: surplus, held: view.mine, live: view.live, connections: view.total }, 'over this process\'s share of the connections: one goes to another process');
      // Cleanly: what is being delivered to it finishes, it stops here, then its lease is free for another.
      await this.forwarder?.idle(surplus);
      await run?.stop();
      await this.drop(surplus);
      return [];
    }
    return balance.pickTakes(free, view);
  }

  /** Starts a connection whose lease this process holds; one that fails to start gives the lease up for another try. */
  private async begin(run: LeasedRun): Promise<void> {
    this.logger.info({ lease: run.key }, 'took a connection lease: the connection runs in this process');
    if (await run.start()) {
      // What was forwarded to it meanwhile (by any process, or left by its last holder) goes now.
      this.forwarder?.kick(run.key);
      return;
    }
    await this.drop(run.key);
  }

  private async drop(key: string): Promise<void> {
    this.held.delete(key);
    await this.free([key]);
  }

  /** Deletes leases of this process and wakes the others (one of them may take them at once). */
  private async free(keys: readonly string[]): Promise<void> {
    await this.db.query(`DELETE FROM ${this.db.tables.leases} WHERE owner = $1 AND key = ANY($2::text[])`, [this.processId, keys]);
    await this.db.query(`SELECT pg_notify($1, 'free')`, [`bridgekit_wake_${this.db.tables.schema}`]);
  }
}
