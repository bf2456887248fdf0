import { MatrixError, type HomeserverApi } from '../homeserver/index.js';

/**
 * Registers virtual users once: the account API remembers them in the store across
 * restarts; this adds a memory of the users done in this process (no store read per
 * action) and shares one request between concurrent callers.
 *
 * The bot is registered too. On Synapse the appservice's sender can act through the
 * as_token without an account, but it has no profile until it is registered (profile
 * lookups 404, clients cannot start a direct chat with it); an existing account
 * (M_USER_IN_USE) counts as registered. If the homeserver refuses to register the bot,
 * the refusal is reported once and the bot goes on acting without an account.
 */
export class Registrar {
  private readonly done = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly api: HomeserverApi, private readonly botUserId: string) {}

  async ensure(userId: string): Promise<void> {
    if (this.done.has(userId)) return;
    let running = this.running.get(userId);
    if (!running) {
      running = this.api.account.ensureRegistered(userId)
        .then(() => { this.done.add(userId); })
        .catch((err: unknown) => {
          // The homeserver answered: asking again will not change its mind, and the bot acts without an account.
          if (userId === this.botUserId && err instanceof MatrixError) this.done.add(userId);
          throw err;
        })
        .finally(() => this.running.delete(userId));
      this.running.set(userId, running);
    }
    await running;
  }
}
