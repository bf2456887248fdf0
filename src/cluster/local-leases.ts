import type { Logger } from '../log/logger.js';
import type { ConnectionLease, LeasedConnection, PluginLeases } from '../plugin/leases.js';
import type { Store } from '../store/index.js';
import { ForwardQueue } from './forward-queue.js';
import { Forwarder, type ForwarderOptions, type ForwardTargets, type HandlerForward } from './forwarder.js';
import { LeasedRun, connectionLeaseKey } from './leased-run.js';

/** What the bridge holds of the connection leases, one-process or cluster (src/runtime/bridge.ts). */
export interface ConnectionLeaseService {
  /** The service a plugin sees (`ctx.leases`). */
  forPlugin(plugin: string): PluginLeases;
  /** A handler's `scope.forward`: `key` is the full lease key (`conn:<plugin>:<key>`). */
  forward(key: string, message: unknown, via: HandlerForward): Promise<void>;
  /** Cluster mode: this process was reaped; its connections stop at once. */
  fencedOut(): void;
  /** The bridge stops: every connection stops (and its lease goes). */
  close(): Promise<void>;
}

/** How forwarded messages are kept and retried (the bridge's store and inbox settings). */
export interface ForwardingSetup {
  readonly store: Store;
  readonly options: Omit<ForwarderOptions, 'processId' | 'wakeAfterWrite'>;
}

/** The view a plugin gets: its keys under its own prefix. */
export function pluginView(plugin: string, service: { run(key: string, c: LeasedConnection<unknown>): ConnectionLease; send(key: string, m: unknown): Promise<void> }): PluginLeases {
  return {
    run: <M>(key: string, connection: LeasedConnection<M>) => service.run(connectionLeaseKey(plugin, key), connection as LeasedConnection<unknown>),
    send: (key, message) => service.send(connectionLeaseKey(plugin, key), message),
  };
}

/** One-process mode: every connection runs here, at once; one whose start failed is tried again. */
export class LocalConnectionLeases implements ConnectionLeaseService, ForwardTargets {
  private readonly runs = new Map<string, LeasedRun>();
  private closed = false;
  private readonly forwarder: Forwarder | undefined;

  constructor(private readonly logger: Logger, private readonly retryMs = 5_000, forwarding?: ForwardingSetup) {
    this.forwarder = forwarding
      ? new Forwarder(new ForwardQueue(forwarding.store), this, { ...forwarding.options, wakeAfterWrite: true }, logger)
      : undefined;
  }

  forPlugin(plugin: string): PluginLeases {
    return pluginView(plugin, this);
  }

  fencedOut(): void {
    // One process: nobody reaps it.
  }

  runningHere(key: string): LeasedRun | undefined {
    const run = this.runs.get(key);
    return run?.running ? run : undefined;
  }

  knows(key: string): boolean {
    return this.runs.has(key);
  }

  run(key: string, connection: LeasedConnection<unknown>): ConnectionLease {
    const previous = this.runs.get(key);
    const run = new LeasedRun(key, connection, this, this.logger);
    this.runs.set(key, run);
    // The previous one stops first (its start and stop are chained), then this one starts.
    if (previous) void previous.stop().then(() => this.begin(run));
    else this.begin(run);
    return run;
  }

  send(key: string, message: unknown): Promise<void> {
    return this.forwarding().forward(key, message);
  }

  forward(key: string, message: unknown, via: HandlerForward): Promise<void> {
    return this.forwarding().forward(key, message, via);
  }

  private forwarding(): Forwarder {
    if (!this.forwarder) throw new TypeError('forwarding needs the store (these connection leases were made without one)');
    return this.forwarder;
  }

  private begin(run: LeasedRun): void {
    if (this.closed || this.runs.get(run.key) !== run) return;
    void run.start().then((ok) => {
      if (!ok) setTimeout(() => this.begin(run), this.retryMs).unref();
      else this.forwarder?.kick(run.key);
    });
  }

  async release(run: LeasedRun): Promise<void> {
    if (this.runs.get(run.key) === run) this.runs.delete(run.key);
    await this.forwarder?.idle(run.key);
    await run.stop();
  }

  /** The bridge stops: every connection stops (before the plugin's own `stop`). */
  async close(): Promise<void> {
    this.closed = true;
    await this.forwarder?.close();
    const runs = [...this.runs.values()];
    this.runs.clear();
    await Promise.all(runs.map((run) => run.stop()));
  }
}
