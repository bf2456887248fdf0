import type { DeviceChanges, ToDeviceMessage } from '../events/types.js';
import type { IdbLevelPersister } from './idb/persister.js';
import { cryptoSections } from './sections.js';
import { CryptoService, type CryptoServiceOptions } from './service.js';

/** The bot's options; `crossSigningPassphrase` is the bot's alone (ghosts are not cross-signed). */
export type CryptoUserOptions = Omit<CryptoServiceOptions, 'userId'>;

/**
 * The crypto machines of a bridge: the bot's, started with the bridge, and one per ghost
 * that sends into an encrypted room, started on its first such send (its device made then)
 * and again at every start afterwards, so that to-device messages for it are read. All
 * keep their state in one persister.
 */
export class CryptoUsers {
  private readonly services = new Map<string, Promise<CryptoService>>();
  /** Set by `begin`: machines started afterwards make their first requests at once. */
  private begun = false;

  private constructor(private readonly persister: IdbLevelPersister, private readonly options: CryptoUserOptions, readonly bot: CryptoService) {}

  static async start(options: CryptoUserOptions, botUserId: string): Promise<CryptoUsers> {
    const persister = await CryptoService.openPersistence(options.store);
    let bot: CryptoService;
    try {
      bot = await CryptoService.start({ ...options, userId: botUserId }, persister, { begin: false });
    } catch (err) {
      await persister.close().catch(() => undefined);
      throw err;
    }
    const users = new CryptoUsers(persister, options, bot);
    users.services.set(botUserId, Promise.resolve(bot));
    for await (const userId of cryptoSections(options.store).devices.keys()) {
      if (userId !== botUserId) await users.for(userId);
    }
    return users;
  }

  /** `userId`'s machine, started (and its device made) on first use. */
  for(userId: string): Promise<CryptoService> {
    let service = this.services.get(userId);
    if (!service) {
      service = CryptoService.start({ ...this.options, crossSigningPassphrase: undefined, userId }, this.persister, { begin: this.begun });
      this.services.set(userId, service);
      // A failed start is tried again next time, not remembered.
      service.catch(() => { if (this.services.get(userId) === service) this.services.delete(userId); });
    }
    return service;
  }

  /**
   * Once the bridge listens for transactions: every machine makes its first requests
   * (devices made, keys uploaded, the bot cross-signed), and later ones do so at start.
   */
  async begin(): Promise<void> {
    this.begun = true;
    for (const service of this.services.values()) await (await service).begin();
  }

  /** To-device messages go to the machine of the user they are for; users without a device have none to read them. */
  async receiveToDevice(messages: readonly ToDeviceMessage[]): Promise<void> {
    for (const [userId, service] of this.services) {
      const mine = messages.filter((m) => m.to_user_id === userId);
      if (mine.length > 0) await (await service).receiveToDevice(mine);
    }
  }

  /** Device lists concern every machine; each takes its own key counts. */
  async receiveDeviceChanges(changes: DeviceChanges): Promise<void> {
    for (const service of this.services.values()) await (await service).receiveDeviceChanges(changes);
  }

  /** Closes every machine, then the persister; a failed flush (a fenced store) is thrown after all are closed. */
  async close(): Promise<void> {
    let failure: unknown;
    for (const service of this.services.values()) {
      await (await service.catch(() => undefined))?.close().catch((err: unknown) => { failure ??= err; });
    }
    await this.persister.close().catch((err: unknown) => { failure ??= err; });
    if (failure !== undefined) throw failure;
  }
}
