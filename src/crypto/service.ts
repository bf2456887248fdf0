import { randomBytes } from 'node:crypto';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import type { DeviceChanges, JsonObject, RoomEvent, ToDeviceMessage } from '../events/types.js';
import { isObject } from '../events/validate.js';
import type { HomeserverClient } from '../homeserver/client.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/index.js';
import { ensureCrossSigning, knownMasterKey } from './cross-signing.js';
import { CryptoStoreLost, checkIdentity, ensureDevice, loginDevice, type DeviceRecord } from './device.js';
import { encryptionSettingsFor } from './encryption-settings.js';
import { installIndexedDb } from './idb/globals.js';
import { IdbLevelPersister } from './idb/persister.js';
import { cryptoSections } from './sections.js';
import { sendOutgoing, type DeviceIdentity } from './requests.js';
import { Rounds } from './rounds.js';
import { Signal } from './signal.js';

export interface CryptoServiceOptions {
  readonly store: Store;
  readonly client: HomeserverClient;
  /** The user whose device this is (the bot). */
  readonly userId: string;
  readonly logger: Logger;
  /** How long a message waits for its room key before it is delivered as undecryptable. */
  readonly keyWaitMs: number;
  /** Who should be able to read what is sent to a room: its joined and invited members. */
  readonly members: (roomId: string) => Promise<string[]>;
  /** On a lost crypto store, make a new device (said loudly) instead of refusing to start. */
  readonly newDeviceIfStoreLost?: boolean;
  /** Give this user a cross-signing identity, its private keys sealed with this passphrase (the bot only). */
  readonly crossSigningPassphrase?: string;
}

/** What became of an `m.room.encrypted` event. */
export type DecryptResult =
  | { readonly kind: 'decrypted'; readonly event: RoomEvent; readonly verified: boolean; readonly senderDevice?: string }
  | {
    readonly kind: 'undecryptable'; readonly reason: string; readonly withheld?: string;
    /** The room key is missing (not refused for good): it may still come. */
    readonly keyMayCome?: boolean;
  };

/** Room-key errors that a later key can cure; the others never will. */
const WAITABLE = new Set([wasm.DecryptionErrorCode.MissingRoomKey, wasm.DecryptionErrorCode.UnknownMessageIndex]);

let instances = 0;

/**
 * One user's end-to-end encryption: the Rust crypto machine (matrix-sdk-crypto-wasm) for
 * its device, fed the to-device messages and device data of transactions, its requests
 * sent as that device, its state kept durable in the bridge's store. Everything leaves the
 * process only after the state that produced it is on disk (`persister.flushed()`).
 */
export class CryptoService {
  private readonly keysArrived = new Signal();
  private readonly outgoing = new Rounds(() => this.sendOutgoingRound());
  private readonly roomLocks = new Map<string, Promise<unknown>>();
  private begun: Promise<void> | undefined;

  private constructor(
    private readonly machine: wasm.OlmMachine,
    private readonly persister: IdbLevelPersister,
    readonly device: DeviceRecord,
    private readonly options: CryptoServiceOptions,
    /** The persister is this machine's own (not shared): closing the machine closes it. */
    private readonly ownsPersister: boolean,
  ) {}

  /** Opens the shared persistence (restoring every stored database) for `CryptoService.start`. */
  static async openPersistence(store: Store): Promise<IdbLevelPersister> {
    await wasm.initAsync();
    const factory = await installIndexedDb();
    // A fresh prefix per start: an earlier bridge in this process keeps its own databases.
    const prefix = `bridgekit-${process.pid}-${++instances}-${randomBytes(4).toString('hex')}/`;
    return IdbLevelPersister.open(store, cryptoSections(store), factory, prefix);
  }

  /**
   * Starts the machine of `options.userId`'s device (made on first use), its state in
   * `persister` (shared by every user's machine); without one, opens its own.
   */
  static async start(options: CryptoServiceOptions, shared?: IdbLevelPersister, { begin = true }: { begin?: boolean } = {}): Promise<CryptoService> {
    const persister = shared ?? await CryptoService.openPersistence(options.store);
    const sections = cryptoSections(options.store);
    const prefix = persister.prefix;
    let machine: wasm.OlmMachine | undefined;
    try {
      const open = async () => {
        const record = await ensureDevice(sections.devices, options.userId);
        const storeName = `${record.userId}|${record.deviceId}`;
        const restored = persister.has(storeName);
        machine = await wasm.OlmMachine.initialize(new wasm.UserId(record.userId), new wasm.DeviceId(record.deviceId), prefix + storeName);
        const keys = { curve25519: machine.identityKeys.curve25519.toBase64(), ed25519: machine.identityKeys.ed25519.toBase64() };
        return { device: await checkIdentity(sections.devices, record, keys, restored), keys, restored };
      };
      let opened: Awaited<ReturnType<typeof open>>;
      try {
        opened = await open();
      } catch (err) {
        if (!(err instanceof CryptoStoreLost) || !options.newDeviceIfStoreLost) throw err;
        options.logger.error({ err }, 'the crypto store was lost: making a NEW device as configured (encryption.newDeviceIfStoreLost); users will see a new, unverified session');
        machine?.close();
        await sections.devices.del(options.userId);
        opened = await open();
      }
      const { device, keys, restored } = opened;
      await persister.flushed();
      const service = new CryptoService(machine!, persister, device, options, shared === undefined);
      options.logger.info({ userId: device.userId, deviceId: device.deviceId, curve25519: keys.curve25519, restored }, 'end-to-end encryption ready');
      if (begin) await service.begin();
      return service;
    } catch (err) {
      machine?.close();
      if (!shared) await persister.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * The first requests to the homeserver: the device made (first start), its keys uploaded,
   * cross-signing checked. A bridge calls it once it listens for transactions (each of these
   * makes the homeserver push to it; see `loginDevice`). Once; later calls wait for it.
   */
  begin(): Promise<void> {
    this.begun ??= (async () => {
      await loginDevice(cryptoSections(this.options.store).devices, this.options.client, this.device.userId);
      await this.flushOutgoing();
      if (this.options.crossSigningPassphrase !== undefined) await this.crossSign(this.options.crossSigningPassphrase);
    })();
    // A failed begin is tried again by the next call.
    this.begun.catch(() => { this.begun = undefined; });
    return this.begun;
  }

  /** Cross-signs this device (after its keys are on the homeserver: the signatures name them). */
  private async crossSign(passphrase: string): Promise<void> {
    const section = cryptoSections(this.options.store).crossSigning;
    const outcome = await ensureCrossSigning({
      machine: this.machine, client: this.options.client, device: this.device, passphrase, section,
      logger: this.options.logger, flushed: () => this.persister.flushed(),
    });
    const masterKey = await knownMasterKey(section, this.device.userId);
    this.options.logger.info({ userId: this.device.userId, deviceId: this.device.deviceId, crossSigning: outcome, masterKey }, 'cross-signing checked');
  }

  private get identity(): DeviceIdentity {
    return this.device;
  }

  /** To-device messages of a transaction; those for other users or devices are not ours. */
  async receiveToDevice(messages: readonly ToDeviceMessage[]): Promise<void> {
    const mine = messages.filter((m) => m.to_user_id === this.device.userId && (m.to_device_id === this.device.deviceId || m.to_device_id === '*'));
    if (mine.length === 0) return;
    const events = mine.map(({ type, sender, content }) => ({ type, sender, content }));
    const processed = await this.machine.receiveSyncChangesMsc4186(JSON.stringify(events), new wasm.DeviceLists(), new Map());
    this.options.logger.debug({ userId: this.device.userId, received: mine.length, processed: processed.length, types: mine.map((m) => m.type) }, 'to-device messages handed to the crypto machine');
    await this.afterChange();
  }

  /** A transaction's device lists, one-time key counts and fallback key types. */
  async receiveDeviceChanges(changes: DeviceChanges): Promise<void> {
    const lists = new wasm.DeviceLists(
      changes.deviceLists?.changed.map((u) => new wasm.UserId(u)),
      changes.deviceLists?.left.map((u) => new wasm.UserId(u)),
    );
    const counts = changes.oneTimeKeyCounts?.[this.device.userId]?.[this.device.deviceId];
    const fallback = changes.unusedFallbackKeyTypes?.[this.device.userId]?.[this.device.deviceId];
    const fallbackSet = fallback ? new Set(fallback) : undefined;
    // Counts for this device mean "these and no others"; none at all means "no news" (MSC4186 semantics).
    if (counts) await this.machine.receiveSyncChanges('[]', lists, new Map(Object.entries(counts)), fallbackSet);
    else await this.machine.receiveSyncChangesMsc4186('[]', lists, new Map(), fallbackSet);
    await this.afterChange();
  }

  private async afterChange(): Promise<void> {
    await this.persister.flushed();
    this.keysArrived.notify();
    await this.flushOutgoing();
  }

  /**
   * Sends what the machine asks for (key uploads, queries, claims, to-device messages),
   * one loop at a time: a call while one runs makes it go round once more.
   */
  flushOutgoing(): Promise<void> {
    return this.outgoing.run();
  }

  private async sendOutgoingRound(): Promise<void> {
    for (const request of await this.machine.outgoingRequests()) {
      await this.persister.flushed();
      try {
        await sendOutgoing(this.machine, this.options.client, this.identity, request);
      } catch (err) {
        // The machine asks again on the next loop: a request it was not told of stays pending.
        this.options.logger.warn({ err, requestType: wasm.RequestType[request.type] }, 'a crypto request to the homeserver failed; it will be sent again');
      }
    }
    await this.persister.flushed();
  }

  /**
   * Decrypts a room event, waiting up to `keyWaitMs` for a room key that has not arrived
   * yet (keys often come just after the message, in the same or the next transaction).
   */
  async decrypt(event: RoomEvent, keyWaitMs = this.options.keyWaitMs): Promise<DecryptResult> {
    const deadline = Date.now() + keyWaitMs;
    const settings = new wasm.DecryptionSettings(wasm.TrustRequirement.Untrusted);
    for (;;) {
      try {
        const decrypted = await this.machine.decryptRoomEvent(JSON.stringify(event), new wasm.RoomId(event.room_id), settings);
        const plain: unknown = JSON.parse(decrypted.event);
        if (!isObject(plain) || typeof plain['type'] !== 'string' || !isObject(plain['content'])) {
          return { kind: 'undecryptable', reason: 'the decrypted payload is not an event' };
        }
        const verified = decrypted.shieldState(true).color === wasm.ShieldColor.None;
        return {
          kind: 'decrypted',
          event: { ...event, type: plain['type'], content: plain['content'] },
          verified,
          senderDevice: decrypted.senderDevice?.toString(),
        };
      } catch (err) {
        if (!(err instanceof wasm.MegolmDecryptionError)) throw err;
        const remaining = deadline - Date.now();
        if (!WAITABLE.has(err.code) || remaining <= 0) {
          return { kind: 'undecryptable', reason: err.description, withheld: err.maybe_withheld, keyMayCome: WAITABLE.has(err.code) };
        }
        await this.keysArrived.wait(remaining);
      }
    }
  }

  /**
   * Encrypts `content` for a room's members: their devices are queried, Olm sessions
   * claimed where missing, the room key shared, then the event encrypted. One room at a time.
   */
  async encrypt(roomId: string, type: string, content: JsonObject, encryption: JsonObject, historyVisibility?: string): Promise<JsonObject> {
    // A send before the bridge listens (a plugin's start) needs the device on the homeserver first.
    await this.begin();
    return this.inRoom(roomId, async () => {
      const members = await this.options.members(roomId);
      // The bindings take the ids they are given (they are freed after the call): new ones each time.
      const users = () => members.map((u) => new wasm.UserId(u));
      await this.machine.updateTrackedUsers(users());
      await this.flushOutgoing();
      const claim = await this.machine.getMissingSessions(users());
      if (claim) await this.sendNow(claim);
      for (const request of await this.machine.shareRoomKey(new wasm.RoomId(roomId), users(), encryptionSettingsFor(encryption, historyVisibility))) {
        await this.sendNow(request);
      }
      const encrypted = await this.machine.encryptRoomEvent(new wasm.RoomId(roomId), type, JSON.stringify(content));
      await this.persister.flushed();
      return JSON.parse(encrypted) as JsonObject;
    });
  }

  private async sendNow(request: wasm.KeysClaimRequest | wasm.ToDeviceRequest): Promise<void> {
    await this.persister.flushed();
    await sendOutgoing(this.machine, this.options.client, this.identity, request);
  }

  private inRoom<T>(roomId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.roomLocks.get(roomId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    const settled = next.catch(() => undefined);
    this.roomLocks.set(roomId, settled);
    void settled.then(() => { if (this.roomLocks.get(roomId) === settled) this.roomLocks.delete(roomId); });
    return next;
  }

  /** Lets running work end, then closes the machine; the store holds everything. */
  async close(): Promise<void> {
    await this.outgoing.idle();
    await Promise.all([...this.roomLocks.values()]);
    this.machine.close();
    if (this.ownsPersister) await this.persister.close();
    else await this.persister.flushed();
  }
}
