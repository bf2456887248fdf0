import type { BridgeConfig } from '../config/index.js';
import { CryptoUsers } from '../crypto/index.js';
import { LateEvents, type Inject } from '../crypto/late-events.js';
import type { RoomEvent } from '../events/types.js';
import type { HomeserverApi } from '../homeserver/index.js';
import type { SendEncryptor } from '../homeserver/api/events.js';
import type { ItemHandler } from '../inbox/index.js';
import type { Logger } from '../log/logger.js';
import type { Mirror } from '../mirror/index.js';
import type { Namespaces } from '../registration/index.js';
import type { Store } from '../store/index.js';
import { handleEncrypted, type EncryptedEventDeps, type EventHandler } from './encrypted-event.js';
import { CryptoHolding } from './crypto-holding.js';

export type { EventHandler } from './encrypted-event.js';
export { CryptoDeviceNotHeld } from './crypto-holding.js';

export interface EncryptionDeps {
  readonly config: BridgeConfig['encryption'];
  readonly store: Store;
  readonly api: HomeserverApi;
  readonly mirror: Mirror;
  readonly namespaces: Namespaces;
  readonly logger: Logger;
  /** Tells a room something as the bot, once per key. */
  readonly notify: (roomId: string, text: string, key: string) => Promise<void>;
}

const REQUIRE_NOTICE = 'This bridge only passes on encrypted messages, and this room is not encrypted: '
  + 'nothing said here is passed on until encryption is turned on in the room settings.';

async function joinedAndInvited(mirror: Mirror, roomId: string): Promise<string[]> {
  const room = await mirror.room(roomId);
  if (!room) return [];
  const users: string[] = [];
  for await (const member of room.members()) if (member.membership === 'join' || member.membership === 'invite') users.push(member.userId);
  return users;
}

/**
 * End-to-end encryption wired into a running bridge: the bot's crypto device, the inbox
 * handler that feeds it device data and decrypts events before the plugin host, and the
 * encryptor every send goes through.
 *
 * The machines (the bot's and the ghosts') are opened from the store by `open` and closed
 * by `close`, possibly several times in one process: a one-process bridge opens them at
 * start; in cluster mode only the leader holds them, opened when it takes the lead and
 * closed when it stops leading (one Olm account must never be driven by two processes).
 * Without them, crypto work is refused (`CryptoDeviceNotHeld`), never done halfway.
 */
export class BridgeEncryption {
  private readonly late: LateEvents;
  private readonly encrypted: EncryptedEventDeps;
  private readonly holding: CryptoHolding;
  /** Set by `startLateDelivery`: each open looks for events whose keys came meanwhile. */
  private injectLate: Inject | undefined;
  /** Set by `begin`: the bridge listens, so machines opened from now on make their first requests at once. */
  private listening = false;

  constructor(private readonly deps: EncryptionDeps) {
    this.holding = new CryptoHolding(() => this.startMachines(), deps.logger);
    this.late = new LateEvents(deps.store, (event, keyWaitMs) => this.holding.use((users) => users.bot.decrypt(event, keyWaitMs)), deps.logger);
    this.encrypted = { decrypt: (event) => this.holding.use((users) => users.bot.decrypt(event)), late: this.late };
    deps.api.events.useEncryptor(this.encryptor);
  }

  /** One process: the machines opened at once (before the inbox resumes anything: journaled to-device messages need them). */
  static async start(deps: EncryptionDeps): Promise<BridgeEncryption> {
    const encryption = new BridgeEncryption(deps);
    await encryption.open();
    return encryption;
  }

  private startMachines(): Promise<CryptoUsers> {
    const { deps } = this;
    return CryptoUsers.start({
      store: deps.store,
      client: deps.api.client,
      logger: deps.logger,
      keyWaitMs: deps.config.keyWaitSeconds * 1000,
      newDeviceIfStoreLost: deps.config.newDeviceIfStoreLost,
      ...(deps.config.crossSigning ? { crossSigningPassphrase: deps.config.crossSigning.passphrase } : {}),
      members: (roomId) => joinedAndInvited(deps.mirror, roomId),
    }, deps.api.client.botUserId);
  }

  /**
   * Opens the machines from the state in the store. Once the bridge listens (a cluster's new
   * leader), their first requests and the look for late keys follow in the background:
   * they need not hold up the items waiting for the machines.
   */
  async open(): Promise<void> {
    const users = await this.holding.open();
    if (!users) return;
    if (this.listening) {
      this.holding.inBackground(users.begin().catch((err: unknown) => this.deps.logger.error({ err }, 'the crypto device\'s first requests failed (device, keys, cross-signing); tried again at the next encrypted send')));
    }
    if (this.injectLate) this.holding.inBackground(this.lookForLateKeys(this.injectLate));
  }

  /** Lets running crypto work end, then closes the machines (their writes flushed); `open` may follow. */
  close(): Promise<void> {
    return this.holding.close();
  }

  /** Whether this process holds the crypto device now (its machines are open). */
  get held(): boolean {
    return this.holding.held;
  }

  /** The bot's device id while the machines are open. */
  get deviceId(): string | undefined {
    return this.holding.current?.bot.device.deviceId;
  }

  /**
   * Once the inbox runs: events passed on as undecryptable are brought back when their key
   * comes (looked for now too, if the machines are open: keys may have come while the bridge
   * was stopped; else when they open).
   */
  async startLateDelivery(inject: Inject): Promise<void> {
    this.injectLate = inject;
    if (this.held) await this.lookForLateKeys(inject);
  }

  private lookForLateKeys(inject: Inject): Promise<void> {
    return this.late.start(inject).catch((err: unknown) => this.deps.logger.warn({ err }, 'looking for events whose keys came while the bridge was stopped failed; tried again when keys next arrive'));
  }

  /** Once the bridge listens: the machines' first requests (see `CryptoUsers.begin`), now or when they open. */
  async begin(): Promise<void> {
    this.listening = true;
    await this.holding.current?.begin();
  }

  /**
   * The inbox handler: device data goes to the crypto machine; an encrypted event is
   * applied to the mirror as it is, then decrypted (waiting a little for a late key) and
   * handed on as the plaintext event; everything else goes to `next` unchanged.
   */
  handler(next: EventHandler, other: ItemHandler): ItemHandler {
    return async (item, ctx) => {
      if (item.kind === 'to_device') {
        ctx.logger.debug({ toUser: item.message.to_user_id, toDevice: item.message.to_device_id, sender: item.message.sender }, 'a to-device message');
        await this.holding.use((users) => users.receiveToDevice([item.message]));
        // Room keys for the bot may have come: bring back what they open (before the item is acknowledged).
        // A failed scan is not this item's: what is kept stays kept for the next keys, or the next start.
        if (item.message.to_user_id === this.deps.api.client.botUserId) {
          await this.late.rescan().catch((err: unknown) => ctx.logger.warn({ err }, 'bringing back events whose keys came late failed; tried again when keys next arrive'));
        }
        return;
      }
      if (item.kind === 'device_changes') return this.holding.use((users) => users.receiveDeviceChanges(item.changes));
      if (item.kind !== 'event') return other(item, ctx);
      const event = item.event;
      if (event.type !== 'm.room.encrypted' || event.state_key !== undefined) {
        if (this.deps.config.require && await this.refusePlaintext(event)) return;
        return next(event, ctx);
      }
      // Our own users' events are echoes: the host drops them without reading them.
      if (this.deps.namespaces.isControlledUser(event.sender)) return next(event, ctx);
      if (!this.deps.config.allow) return next(event, ctx, { undecryptable: 'this bridge is configured not to work in encrypted rooms' });
      return handleEncrypted(event, ctx, next, this.encrypted);
    };
  }

  /** With `require`: a person's plaintext message in an unencrypted room is not passed on (the room is told once). */
  private async refusePlaintext(event: RoomEvent): Promise<boolean> {
    if (event.state_key !== undefined || this.deps.namespaces.isControlledUser(event.sender)) return false;
    if (event.type !== 'm.room.message' && event.type !== 'm.sticker' && event.type !== 'm.reaction') return false;
    const room = await this.deps.mirror.room(event.room_id);
    if (!room || room.encrypted) return false;
    this.deps.logger.info({ roomId: event.room_id, eventId: event.event_id }, 'a plaintext message was not passed on (encryption.require)');
    await this.deps.notify(event.room_id, REQUIRE_NOTICE, `require-encryption:${event.room_id}`);
    return true;
  }

  /**
   * Sends into encrypted rooms are encrypted, the bot's and every ghost's (a ghost's device
   * is made on its first such send). Refused where the machines are not open (a cluster's
   * standby): such a send is made by the leader.
   */
  private readonly encryptor: SendEncryptor = async (roomId, asUser, eventType, content) => {
    if (eventType === 'm.room.encrypted') return undefined;
    const room = await this.deps.mirror.room(roomId);
    if (!room?.encrypted || !this.deps.config.allow) return undefined;
    const sealed = await this.holding.use(async (users) => {
      const crypto = await users.for(asUser);
      return crypto.encrypt(roomId, eventType, content, room.encryption ?? {}, room.historyVisibility);
    });
    return { eventType: 'm.room.encrypted', content: sealed };
  };
}
