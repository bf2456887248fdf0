import { randomBytes } from 'node:crypto';
import type { JsonObject, RoomEvent } from '../events/types.js';
import { requestJson, type HttpJsonResponse } from './http-json.js';
import type { PresenceValue } from './users.js';

const REQUEST_TIMEOUT_MS = 30_000;

/** A non-2xx answer from the test homeserver, with the spec's error fields. */
export class TestClientError extends Error {
  constructor(readonly status: number, readonly errcode: string | undefined, readonly body: unknown, readonly headers: Record<string, string>) {
    super(`HTTP ${status}${errcode ? ` ${errcode}` : ''}: ${JSON.stringify(body)}`);
    this.name = 'TestClientError';
  }
}

export interface CreateRoomOptions {
  readonly preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat';
  readonly visibility?: 'public' | 'private';
  readonly name?: string;
  readonly topic?: string;
  readonly room_alias_name?: string;
  readonly invite?: string[];
  readonly room_version?: string;
  readonly creation_content?: JsonObject;
  readonly initial_state?: Array<{ type: string; state_key?: string; content: JsonObject }>;
  readonly power_level_content_override?: JsonObject;
  readonly is_direct?: boolean;
}

/**
 * A small Matrix client for tests: real HTTP to the test homeserver, one method per thing
 * a test usually does. Errors throw `TestClientError` (with `errcode`). As the appservice,
 * it acts as `actAs` through `?user_id=`. Every request uses a fresh connection, so a
 * `restart()` of the homeserver never leaves it holding a dead socket.
 */
export class TestClient {
  private txnCounter = 0;
  private readonly txnPrefix = randomBytes(4).toString('hex');

  constructor(readonly baseUrl: string, readonly accessToken: string, readonly actAs?: string) {}

  /** The same credentials acting as another user (appservice tokens only). */
  as(userId: string): TestClient {
    return new TestClient(this.baseUrl, this.accessToken, userId);
  }

  async request<T = JsonObject>(method: string, path: string, body?: unknown, query: Record<string, string> = {}): Promise<T> {
    const url = this.url(path, query);
    const response = await requestJson({ method, url, headers: this.auth(), body, timeoutMs: REQUEST_TIMEOUT_MS });
    return unwrap<T>(response);
  }

  private url(path: string, query: Record<string, string>): string {
    const url = new URL(path, this.baseUrl);
    if (this.actAs !== undefined) url.searchParams.set('user_id', this.actAs);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url.toString();
  }

  private auth(): Record<string, string> {
    return { authorization: `Bearer ${this.accessToken}` };
  }

  newTxnId(): string {
    this.txnCounter += 1;
    return `${this.txnPrefix}-${this.txnCounter}`;
  }

  async whoami(): Promise<string> {
    return (await this.request<{ user_id: string }>('GET', '/_matrix/client/v3/account/whoami')).user_id;
  }

  /** `POST /user/{userId}/openid/request_token`: a token a third party can check at the homeserver's federation userinfo. */
  async requestOpenIdToken(userId: string): Promise<{ access_token: string; token_type: string; matrix_server_name: string; expires_in: number }> {
    return this.request('POST', `/_matrix/client/v3/user/${encodeURIComponent(userId)}/openid/request_token`, {});
  }

  async createRoom(options: CreateRoomOptions = {}): Promise<string> {
    return (await this.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', options)).room_id;
  }

  /** `POST /rooms/{roomId}/upgrade`: the replacement room's id. */
  async upgradeRoom(roomId: string, newVersion: string): Promise<string> {
    return (await this.request<{ replacement_room: string }>('POST', `${room(roomId)}/upgrade`, { new_version: newVersion })).replacement_room;
  }

  async join(roomIdOrAlias: string): Promise<string> {
    return (await this.request<{ room_id: string }>('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomIdOrAlias)}`, {})).room_id;
  }

  async leave(roomId: string, reason?: string): Promise<void> {
    await this.request('POST', `${room(roomId)}/leave`, reason === undefined ? {} : { reason });
  }

  async invite(roomId: string, userId: string, reason?: string): Promise<void> {
    await this.request('POST', `${room(roomId)}/invite`, { user_id: userId, reason });
  }

  async kick(roomId: string, userId: string, reason?: string): Promise<void> {
    await this.request('POST', `${room(roomId)}/kick`, { user_id: userId, reason });
  }

  async ban(roomId: string, userId: string, reason?: string): Promise<void> {
    await this.request('POST', `${room(roomId)}/ban`, { user_id: userId, reason });
  }

  async unban(roomId: string, userId: string): Promise<void> {
    await this.request('POST', `${room(roomId)}/unban`, { user_id: userId });
  }

  /** Sends any message event; pass `txnId` to test idempotent retries. */
  async sendEvent(roomId: string, type: string, content: JsonObject, txnId = this.newTxnId()): Promise<string> {
    const path = `${room(roomId)}/send/${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`;
    return (await this.request<{ event_id: string }>('PUT', path, content)).event_id;
  }

  sendText(roomId: string, body: string): Promise<string> {
    return this.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body });
  }

  sendNotice(roomId: string, body: string): Promise<string> {
    return this.sendEvent(roomId, 'm.room.message', { msgtype: 'm.notice', body });
  }

  async setState(roomId: string, type: string, stateKey: string, content: JsonObject): Promise<string> {
    const path = `${room(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`;
    return (await this.request<{ event_id: string }>('PUT', path, content)).event_id;
  }

  getState(roomId: string, type: string, stateKey = ''): Promise<JsonObject> {
    return this.request('GET', `${room(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`);
  }

  allState(roomId: string): Promise<RoomEvent[]> {
    return this.request<RoomEvent[]>('GET', `${room(roomId)}/state`);
  }

  async redact(roomId: string, eventId: string, reason?: string): Promise<string> {
    const path = `${room(roomId)}/redact/${encodeURIComponent(eventId)}/${encodeURIComponent(this.newTxnId())}`;
    return (await this.request<{ event_id: string }>('PUT', path, reason === undefined ? {} : { reason })).event_id;
  }

  async typing(roomId: string, typing: boolean, timeoutMs = 30_000): Promise<void> {
    const userId = await this.whoami();
    await this.request('PUT', `${room(roomId)}/typing/${encodeURIComponent(userId)}`, typing ? { typing, timeout: timeoutMs } : { typing });
  }

  async receipt(roomId: string, eventId: string, receiptType = 'm.read'): Promise<void> {
    await this.request('POST', `${room(roomId)}/receipt/${encodeURIComponent(receiptType)}/${encodeURIComponent(eventId)}`, {});
  }

  async presence(presence: PresenceValue, statusMsg?: string): Promise<void> {
    const userId = await this.whoami();
    await this.request('PUT', `/_matrix/client/v3/presence/${encodeURIComponent(userId)}/status`, { presence, status_msg: statusMsg });
  }

  async setDisplayName(displayname: string): Promise<void> {
    const userId = await this.whoami();
    await this.request('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(userId)}/displayname`, { displayname });
  }

  async setAvatarUrl(avatarUrl: string): Promise<void> {
    const userId = await this.whoami();
    await this.request('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(userId)}/avatar_url`, { avatar_url: avatarUrl });
  }

  async createAlias(alias: string, roomId: string): Promise<void> {
    await this.request('PUT', `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`, { room_id: roomId });
  }

  /** Uploads bytes; returns the `mxc://` URI. */
  async upload(content: Uint8Array | string, contentType = 'application/octet-stream', filename?: string): Promise<string> {
    const url = this.url('/_matrix/media/v3/upload', filename === undefined ? {} : { filename });
    const rawBody = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    const headers = { ...this.auth(), 'content-type': contentType };
    const response = await requestJson({ method: 'POST', url, headers, rawBody, timeoutMs: REQUEST_TIMEOUT_MS });
    return unwrap<{ content_uri: string }>(response).content_uri;
  }
}

function unwrap<T>(response: HttpJsonResponse): T {
  const body = response.body ?? {};
  if (response.status < 200 || response.status >= 300) {
    const errcode = typeof body === 'object' && body !== null ? (body as JsonObject)['errcode'] : undefined;
    throw new TestClientError(response.status, typeof errcode === 'string' ? errcode : undefined, body, response.headers);
  }
  return body as T;
}

function room(roomId: string): string {
  return `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;
}
