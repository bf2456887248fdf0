import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import type { HomeserverClient } from '../homeserver/client.js';
import { route, type Route } from '../homeserver/route.js';

/** Who the machine's requests act as: a user of ours and one of its devices (MSC3202 masquerading). */
export interface DeviceIdentity {
  readonly userId: string;
  readonly deviceId: string;
}

/** `?org.matrix.msc3202.device_id=`: without it the homeserver would take the request as from the appservice's device-less session. */
export function deviceQuery(device: DeviceIdentity): Record<string, string> {
  return { 'org.matrix.msc3202.device_id': device.deviceId };
}

export type OutgoingRequest =
  | wasm.KeysUploadRequest | wasm.KeysQueryRequest | wasm.KeysClaimRequest | wasm.ToDeviceRequest
  | wasm.SignatureUploadRequest | wasm.RoomMessageRequest | wasm.KeysBackupRequest;

const POSTS: Partial<Record<wasm.RequestType, string>> = {
  [wasm.RequestType.KeysUpload]: '/_matrix/client/v3/keys/upload',
  [wasm.RequestType.KeysQuery]: '/_matrix/client/v3/keys/query',
  [wasm.RequestType.KeysClaim]: '/_matrix/client/v3/keys/claim',
  [wasm.RequestType.SignatureUpload]: '/_matrix/client/v3/keys/signatures/upload',
};

/** Where a request goes and with which method; undefined for one bridgekit does not make (key backup). */
function target(request: OutgoingRequest): { method: 'POST' | 'PUT'; route: Route; body: unknown } | undefined {
  if (request instanceof wasm.ToDeviceRequest) {
    return {
      method: 'PUT',
      route: route('/_matrix/client/v3/sendToDevice/{eventType}/{txnId}', { eventType: request.event_type, txnId: request.txn_id }),
      body: JSON.parse(request.body),
    };
  }
  if (request instanceof wasm.RoomMessageRequest) {
    return {
      method: 'PUT',
      route: route('/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}', { roomId: request.room_id, eventType: request.event_type, txnId: request.txn_id }),
      body: JSON.parse(request.body),
    };
  }
  const path = POSTS[request.type];
  return path === undefined ? undefined : { method: 'POST', route: route(path), body: JSON.parse(request.body) };
}

/**
 * Sends one of the machine's requests as `device` and hands the answer back to the
 * machine. Key uploads, queries and claims are POSTs the machine can repeat safely (it
 * asks again until it was told of an answer); to-device and room sends are PUTs with the
 * machine's txnId.
 */
export async function sendOutgoing(machine: wasm.OlmMachine, client: HomeserverClient, device: DeviceIdentity, request: OutgoingRequest): Promise<void> {
  const where = target(request);
  if (!where) return;
  const response = await client.request(where.method, where.route, {
    body: where.body, asUser: device.userId, query: deviceQuery(device), idempotent: true,
  });
  // Signature uploads made by cross-signing bootstrap carry no id: nothing to mark.
  if (request.id !== undefined) await machine.markRequestAsSent(request.id, request.type, JSON.stringify(response));
}
