import * as sdk from 'matrix-js-sdk';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';
import { eventually, type Synapse } from '../harness/index.js';

/**
 * A person with a real encrypting client that no one here wrote: matrix-js-sdk 34 with its
 * Rust crypto (the same matrix-sdk-crypto-wasm, its own copy), in memory. Logged in with a
 * password, so the homeserver knows its device.
 */
export class EncryptingClient {
  private constructor(readonly userId: string, readonly client: sdk.MatrixClient) {}

  /** A new user of the homeserver under test (the harness gives them the password `pw-<localpart>`), logged in. */
  static async newUser(synapse: Synapse, name: string): Promise<EncryptingClient> {
    const user = await synapse.createUser(name);
    return EncryptingClient.login(synapse.url, user.userId, `pw-${user.userId.slice(1, user.userId.indexOf(':'))}`);
  }

  static async login(baseUrl: string, userId: string, password: string): Promise<EncryptingClient> {
    sdkLogger.setLevel('error');
    const anonymous = sdk.createClient({ baseUrl });
    const login = await anonymous.login('m.login.password', { identifier: { type: 'm.id.user', user: userId }, password });
    const client = sdk.createClient({ baseUrl, userId, accessToken: login.access_token, deviceId: login.device_id });
    await client.initRustCrypto({ useIndexedDB: false });
    await client.startClient({ initialSyncLimit: 20 });
    await new Promise<void>((resolve) => {
      const onSync = (state: string) => {
        if (state === 'PREPARED' || state === 'SYNCING') {
          client.off(sdk.ClientEvent.Sync, onSync);
          resolve();
        }
      };
      client.on(sdk.ClientEvent.Sync, onSync);
    });
    return new EncryptingClient(userId, client);
  }

  /** An encrypted private room (Megolm), as Element makes one. */
  async createEncryptedRoom(name: string): Promise<string> {
    const { room_id: roomId } = await this.client.createRoom({
      name,
      preset: sdk.Preset.PrivateChat,
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    await eventually(async () => this.client.getRoom(roomId) !== null && await this.client.getCrypto()!.isEncryptionEnabledInRoom(roomId), `${roomId} to be known as encrypted`);
    return roomId;
  }

  /** Invites `userId` and waits until this client sees them joined (a bot joins on invite). */
  async inviteAndWaitForJoin(roomId: string, userId: string): Promise<void> {
    await this.client.invite(roomId, userId);
    await eventually(() => this.client.getRoom(roomId)?.getMember(userId)?.membership === 'join', `${this.userId} to see ${userId} joined`);
  }

  /** Sends a text message (encrypted when the room is); returns its event id. */
  async say(roomId: string, body: string): Promise<string> {
    const { event_id: eventId } = await this.client.sendTextMessage(roomId, body);
    return eventId;
  }

  /**
   * The first event from `sender` after `afterEventId` whose decrypted body satisfies
   * `matches`; it must have arrived encrypted.
   */
  async waitForDecrypted(roomId: string, sender: string, matches: (body: string) => boolean, what: string, timeoutMs?: number): Promise<sdk.MatrixEvent> {
    return eventually(async () => {
      const room = this.client.getRoom(roomId);
      for (const event of room?.getLiveTimeline().getEvents() ?? []) {
        if (event.getSender() !== sender) continue;
        if (event.isBeingDecrypted() || event.isDecryptionFailure()) await this.client.decryptEventIfNeeded(event);
        const body = event.getContent()['body'];
        if (typeof body === 'string' && matches(body)) return event;
      }
      return undefined;
    }, what, timeoutMs);
  }

  /** Whether `sender` has any event in the room that this client could not decrypt. */
  undecryptableFrom(roomId: string, sender: string): number {
    return (this.client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? []).filter((e) => e.getSender() === sender && e.isDecryptionFailure()).length;
  }

  stop(): void {
    this.client.stopClient();
  }
}
