import type { CryptoUsers } from '../crypto/index.js';
import type { Logger } from '../log/logger.js';

/** Crypto work asked of a process whose machines are not open (a cluster's standby, or while they close). */
export class CryptoDeviceNotHeld extends Error {
  constructor() {
    super('this process does not hold the bot\'s crypto device now (cluster mode: the leader holds it, and sends into encrypted rooms are made there)');
    this.name = 'CryptoDeviceNotHeld';
  }
}

/**
 * Whether this process holds the crypto machines, and the work running on them: opened
 * and closed one at a time (a close waits for an open under way, and the other way round);
 * a close refuses new work at once, then waits for what runs before it closes the machines,
 * so no call reaches a machine that is closed.
 */
export class CryptoHolding {
  private users: CryptoUsers | undefined;
  private transition: Promise<unknown> = Promise.resolve();
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly start: () => Promise<CryptoUsers>, private readonly logger: Logger) {}

  get held(): boolean {
    return this.users !== undefined;
  }

  /** The open machines, if any. */
  get current(): CryptoUsers | undefined {
    return this.users;
  }

  /** Opens the machines unless they are open; resolves to them when this call opened them. */
  open(): Promise<CryptoUsers | undefined> {
    const opening = this.transition.catch(() => undefined).then(async () => {
      if (this.users) return undefined;
      this.users = await this.start();
      return this.users;
    });
    this.transition = opening;
    return opening;
  }

  /** Closes the machines when open, after the work running on them; a failed close is logged (the store holds what was written). */
  close(): Promise<void> {
    const closing = this.transition.catch(() => undefined).then(async () => {
      const users = this.users;
      if (!users) return;
      this.users = undefined;
      await Promise.allSettled([...this.running]);
      await users.close().catch((err: unknown) => this.logger.warn({ err }, 'closing the crypto device: its last writes were refused (this process left the cluster) or failed; the store keeps what was written before'));
    });
    this.transition = closing;
    return closing;
  }

  /** Runs `work` on the open machines; refused (`CryptoDeviceNotHeld`) when they are not open. */
  use<T>(work: (users: CryptoUsers) => Promise<T>): Promise<T> {
    const users = this.users;
    if (!users) return Promise.reject(new CryptoDeviceNotHeld());
    return this.track(work(users));
  }

  /** Work started for the machines (their first requests, a look for late keys): a close waits for it. */
  inBackground(work: Promise<void>): void {
    void this.track(work).catch(() => undefined);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(() => undefined, () => undefined);
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return work;
  }
}
