import type { HomeserverApi } from '../homeserver/index.js';

/**
 * Registers virtual users once: the account API remembers them in the store across
 * restarts; this adds a memory of the users done in this process (no store read per
 * action) and shares one request between concurrent callers.
 */
export class Registrar {
  private readonly done = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly api: HomeserverApi, private readonly botUserId: string) {}

  async ensure(userId: string): Promise<void> {
    // The homeserver creates the bot from the registration; it is never registered by us.
    if (userId === this.botUserId || this.done.has(userId)) return;
    let running = this.running.get(userId);
    if (!running) {
      running = this.api.account.ensureRegistered(userId)
        .then(() => { this.done.add(userId); })
        .finally(() => this.running.delete(userId));
      this.running.set(userId, running);
    }
    await running;
  }
}
