/**
 * Connection leases (`ctx.leases`): a remote-network connection that must exist once
 * however many bridge processes run (an IRC connection per login, a bot's session). In
 * one-process mode it simply runs; in cluster mode (docs/scaling.md) exactly one process
 * of the cluster runs it, and another takes it over when that one stops or dies.
 */

/** What the plugin runs under a lease. */
export interface LeasedConnection {
  /** This process holds the lease now: open the connection (it must not be open anywhere else). */
  start(): void | Promise<void>;
  /**
   * This process no longer holds it (released, lost to a fenced-out process, or the bridge
   * stops): close the connection; another process may open it next. Called once per start.
   */
  stop(): void | Promise<void>;
}

/** The handle `run` returns. */
export interface ConnectionLease {
  /** Whether the connection runs in this process now (started, not stopped since). */
  readonly running: boolean;
  /** Stops running it here (`stop()` when started) and frees the lease: nobody runs it any more. */
  release(): Promise<void>;
}

export interface PluginLeases {
  /**
   * Runs `connection` in exactly one process of the cluster. One-process mode: `start()` is
   * called at once. Cluster mode: the process that takes the lease `conn:<plugin>:<key>`
   * calls `start()`; the others keep trying (at every cluster wake-up and on a timer) and
   * one of them starts it when the holder stops or is reaped. Running a key again
   * replaces what ran under it (its `stop()` is called, the lease is kept).
   */
  run(key: string, connection: LeasedConnection): ConnectionLease;
}
