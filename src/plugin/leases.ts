/**
 * Connection leases (`ctx.leases`): a remote-network connection that must exist once
 * however many bridge processes run (an IRC connection per login, a bot's session). In
 * one-process mode it simply runs; in cluster mode (docs/scaling.md) exactly one process
 * of the cluster runs it, and another takes it over when that one stops or dies. Work for
 * a connection (a message to send through it) is given to it by key, wherever it runs:
 * `scope.forward(key, message)` in a handler, `ctx.leases.send(key, message)` elsewhere.
 */
import type { StandardSchemaV1 } from './standard-schema.js';

/** Which try at delivering a forwarded message this is. */
export interface DeliveryAttempt {
  /** 1 on the first try. */
  readonly attempt: number;
  /** True when throwing now gives the message up (kept as a dead letter): the time to tell the user. */
  readonly lastAttempt: boolean;
}

/** What the plugin runs under a lease. */
export interface LeasedConnection<M = unknown> {
  /** This process holds the lease now: open the connection (it must not be open anywhere else). */
  start(): void | Promise<void>;
  /**
   * This process no longer holds it (released, lost to a fenced-out process, or the bridge
   * stops): close the connection; another process may open it next. Called once per start.
   */
  stop(): void | Promise<void>;
  /**
   * A message forwarded to this connection (`scope.forward`, `ctx.leases.send`), called only
   * while it runs here, one message at a time per connection, in the order sent. A throw is
   * retried with backoff; after `inbox.maxAttempts` tries the message is kept as a dead
   * letter and logged. Delivery is at least once: a process that dies after delivering and
   * before recording it delivers again in its successor.
   */
  deliver?(message: M, attempt: DeliveryAttempt): Promise<void>;
  /**
   * Validates each message before `deliver` (it may come from another process, or an older
   * version of the plugin): one that fails is logged and kept as a dead letter, never delivered.
   */
  readonly messages?: StandardSchemaV1<unknown, M>;
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
  run<M = unknown>(key: string, connection: LeasedConnection<M>): ConnectionLease;
  /**
   * Outside handlers: gives `message` to the connection run under `key`, wherever it runs.
   * Delivered here at once (awaited) when the connection runs in this process with nothing
   * queued before it; otherwise written to the store at once and delivered by its holder (a
   * key nobody runs yet waits). In a handler use `scope.forward`, which commits with the event.
   * `message` must be JSON (it is delivered as `JSON.parse(JSON.stringify(message))`, here too).
   */
  send(key: string, message: unknown): Promise<void>;
}
