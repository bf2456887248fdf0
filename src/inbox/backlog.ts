import type { Transaction } from '../events/types.js';
import { InboxUnavailable } from './unavailable.js';

/**
 * The items an inbox handed to its dispatcher and not yet settled: the bound that turns
 * transactions away (503, the homeserver retries) and what `drained()` waits for.
 */
export class Backlog {
  private count = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly max: number) {}

  get size(): number {
    return this.count;
  }

  /**
   * Throws InboxUnavailable when `txn` would take the backlog past its bound. One larger
   * than the bound is still taken when nothing waits; one with to-device or device data is
   * always taken: Synapse drops those parts from a retry.
   */
  admit(txn: Transaction): void {
    const carriesCrypto = txn.toDevice.length > 0 || txn.deviceChanges !== undefined;
    if (!carriesCrypto && this.count > 0 && this.count + txn.events.length > this.max) {
      throw new InboxUnavailable(`The bridge has ${this.count} items waiting to be handled; retry later`, 1_000);
    }
  }

  add(): void {
    this.count++;
  }

  settle(count = 1): void {
    this.count -= count;
    if (this.count === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Resolves when nothing is waiting. */
  drained(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
