import type { Logger } from '../log/logger.js';
import type { ConnectionLease, LeasedConnection, PluginLeases } from '../plugin/leases.js';
import { LeasedRun } from './leased-run.js';

/** What the bridge holds of the connection leases, one-process or cluster (src/runtime/bridge.ts). */
export interface ConnectionLeaseService {
  /** The service a plugin sees (`ctx.leases`). */
  forPlugin(plugin: string): PluginLeases;
  /** Cluster mode: this process was reaped; its connections stop at once. */
  fencedOut(): void;
  /** The bridge stops: every connection stops (and its lease goes). */
  close(): Promise<void>;
}

/** One-process mode: every connection runs here, at once; one whose start failed is tried again. */
export class LocalConnectionLeases implements PluginLeases, ConnectionLeaseService {
  private readonly runs = new Map<string, LeasedRun>();
  private closed = false;

  constructor(private readonly logger: Logger, private readonly retryMs = 5_000) {}

  forPlugin(): PluginLeases {
    return this;
  }

  fencedOut(): void {
    // One process: nobody reaps it.
  }

  run(key: string, connection: LeasedConnection): ConnectionLease {
    const previous = this.runs.get(key);
    const run = new LeasedRun(key, connection, this, this.logger);
    this.runs.set(key, run);
    // The previous one stops first (its start and stop are chained), then this one starts.
    if (previous) void previous.stop().then(() => this.begin(run));
    else this.begin(run);
    return run;
  }

  private begin(run: LeasedRun): void {
    if (this.closed || this.runs.get(run.key) !== run) return;
    void run.start().then((ok) => {
      if (!ok) setTimeout(() => this.begin(run), this.retryMs).unref();
    });
  }

  async release(run: LeasedRun): Promise<void> {
    if (this.runs.get(run.key) === run) this.runs.delete(run.key);
    await run.stop();
  }

  /** The bridge stops: every connection stops (before the plugin's own `stop`). */
  async close(): Promise<void> {
    this.closed = true;
    const runs = [...this.runs.values()];
    this.runs.clear();
    await Promise.all(runs.map((run) => run.stop()));
  }
}
