import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import type { JsonObject, RoomEvent, ToDeviceMessage } from '../../src/events/types.js';

/** What a device uploaded (`POST /keys/upload`): its device keys and one-time keys. */
export interface UploadedKeys {
  readonly device_keys: JsonObject;
  readonly one_time_keys: Record<string, JsonObject>;
}

/**
 * A person's device (the Rust crypto, in memory) that talks to one device of the bot with
 * no homeserver between: its key query and claim are answered from what the bot's device
 * uploaded, and its to-device messages are handed back for the test to deliver. Enough to
 * set up an Olm session, share a Megolm room key and encrypt room messages as a client does.
 */
export class OlmPerson {
  private sent = 0;

  private constructor(readonly userId: string, private readonly machine: wasm.OlmMachine) {}

  static async create(userId: string, deviceId: string): Promise<OlmPerson> {
    await wasm.initAsync();
    return new OlmPerson(userId, await wasm.OlmMachine.initialize(new wasm.UserId(userId), new wasm.DeviceId(deviceId)));
  }

  /** Shares a room key of `roomId` with the bot's device: the to-device messages that carry it. */
  async shareRoomKey(roomId: string, bot: { userId: string; deviceId: string; keys: UploadedKeys }): Promise<ToDeviceMessage[]> {
    const users = () => [new wasm.UserId(bot.userId)];
    await this.machine.updateTrackedUsers(users());
    for (const request of await this.machine.outgoingRequests()) {
      if (request instanceof wasm.KeysUploadRequest) await this.machine.markRequestAsSent(request.id, request.type, '{"one_time_key_counts":{"signed_curve25519":50}}');
      if (request instanceof wasm.KeysQueryRequest) {
        await this.machine.markRequestAsSent(request.id, request.type, JSON.stringify({ device_keys: { [bot.userId]: { [bot.deviceId]: bot.keys.device_keys } }, failures: {} }));
      }
    }
    const claim = await this.machine.getMissingSessions(users());
    if (claim) {
      const [keyId, key] = Object.entries(bot.keys.one_time_keys)[0]!;
      await this.machine.markRequestAsSent(claim.id, claim.type, JSON.stringify({ one_time_keys: { [bot.userId]: { [bot.deviceId]: { [keyId]: key } } }, failures: {} }));
    }
    const messages: ToDeviceMessage[] = [];
    for (const request of await this.machine.shareRoomKey(new wasm.RoomId(roomId), users(), new wasm.EncryptionSettings())) {
      const body = JSON.parse(request.body) as { messages: Record<string, Record<string, JsonObject>> };
      for (const [toUser, devices] of Object.entries(body.messages)) {
        for (const [toDevice, content] of Object.entries(devices)) {
          messages.push({ type: request.event_type, sender: this.userId, to_user_id: toUser, to_device_id: toDevice, content });
        }
      }
      await this.machine.markRequestAsSent(request.id, request.type, '{}');
    }
    return messages;
  }

  /** A text message in `roomId`, encrypted with the room key shared before, as the homeserver would deliver it. */
  async say(roomId: string, body: string): Promise<RoomEvent> {
    const content = JSON.parse(await this.machine.encryptRoomEvent(new wasm.RoomId(roomId), 'm.room.message', JSON.stringify({ msgtype: 'm.text', body }))) as JsonObject;
    return { type: 'm.room.encrypted', room_id: roomId, sender: this.userId, event_id: `$person-${++this.sent}-${Date.now()}`, origin_server_ts: Date.now(), content } as RoomEvent;
  }

  close(): void {
    this.machine.close();
  }
}
