import type { Logger } from '../log/logger.js';
import type { ConnectionLease, DeliveryAttempt, LeasedConnection } from '../plugin/leases.js';

/** The lease key of a plugin's connection (the leases table also holds lanes: room ids, `presence:…`). */
export function connectionLeaseKey(plugin: string, key: string): string {
  return `conn:${plugin}:${key}`;
}

/**
 * One connection a plugin runs under a lease: calls its `start` and `stop` in turn (never
 * twice in a row), and says whether it runs. Where the lease comes from is its owner's
 * business (one process: always; a cluster: the leases table).
 */
export class LeasedRun implements ConnectionLease {
  private started = false;
  /** The last start or stop, so that the next waits for it. */
  private transition: Promise<unknown> = Promise.resolve();

  constructor(
    readonly key: string,
    private readonly connection: LeasedConnection<unknown>,
    private readonly owner: { release(run: LeasedRun): Promise<void> },
    private readonly logger: Logger,
  ) {}

  get running(): boolean {
    return this.started;
  }

  /**
   * Starts the connection (its `start` is called before this returns, so a one-process
   * bridge opens it at once); resolves false when it failed, which is logged.
   */
  start(): Promise<boolean> {
    if (this.started) return Promise.resolve(true);
    this.started = true;
    let begun: Promise<void>;
    try {
      begun = Promise.resolve(this.connection.start());
    } catch (err) {
      begun = Promise.reject(err);
    }
    const done = this.transition.then(() => begun).then(() => true, (err: unknown) => {
      this.started = false;
      this.logger.error({ err, lease: this.key }, 'a leased connection failed to start');
      return false;
    });
    this.transition = done;
    return done;
  }

  /** Stops the connection when it runs; a failure is logged (the lease goes all the same). */
  stop(): Promise<void> {
    if (!this.started) return this.transition.then(() => undefined);
    this.started = false;
    const done = this.transition.then(() => this.connection.stop()).catch((err: unknown) => {
      this.logger.warn({ err, lease: this.key }, 'a leased connection failed to stop cleanly');
    });
    this.transition = done;
    return done;
  }

  release(): Promise<void> {
    return this.owner.release(this);
  }

  /** Whether forwarded messages can be given to it (it has `deliver`). */
  get deliverable(): boolean {
    return this.connection.deliver !== undefined;
  }

  /**
   * A forwarded message, checked by the connection's `messages` schema first: the checked
   * value, or why it was refused.
   */
  async check(message: unknown): Promise<{ ok: true; value: unknown } | { ok: false; reason: string }> {
    const schema = this.connection.messages;
    if (!schema) return { ok: true, value: message };
    const result = await schema['~standard'].validate(message);
    if (result.issues === undefined) return { ok: true, value: result.value };
    const reason = result.issues.map((i) => `${(i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.') || '(message)'}: ${i.message}`).join('; ');
    return { ok: false, reason };
  }

  /** Gives it a checked message (only while it runs). */
  async deliver(message: unknown, attempt: DeliveryAttempt): Promise<void> {
    if (!this.connection.deliver) throw new TypeError(`the connection ${this.key} takes no forwarded messages (it has no deliver)`);
    await this.connection.deliver(message, attempt);
  }
}
