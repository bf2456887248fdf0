import type { JsonObject, RoomEvent } from '../../../src/events/types.js';
import { TestClientError, type TestClient } from '../../../src/testing/index.js';
import { eventually, E2E_WAIT_MS } from './wait.js';

/**
 * A person on the homeserver under test, acting through its client-server API with their
 * own access token: creates rooms, invites, talks, and reads the room as a client would.
 */
export class E2eUser {
  constructor(readonly userId: string, readonly name: string, readonly client: TestClient) {}

  /** Sends a text message (with HTML when given); returns its event id. */
  say(roomId: string, body: string, html?: string): Promise<string> {
    const content: JsonObject = { msgtype: 'm.text', body };
    if (html !== undefined) Object.assign(content, { format: 'org.matrix.custom.html', formatted_body: html });
    return this.client.sendEvent(roomId, 'm.room.message', content);
  }

  /** The room's latest events as this user sees them (`/messages`, oldest first). */
  async timeline(roomId: string, limit = 200): Promise<RoomEvent[]> {
    const page = await this.client.request<{ chunk: RoomEvent[] }>(
      'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages`, undefined, { dir: 'b', limit: String(limit) },
    );
    return page.chunk.reverse();
  }

  /** The messages (`m.room.message`) in the room, oldest first. */
  async messages(roomId: string, limit = 200): Promise<RoomEvent[]> {
    return (await this.timeline(roomId, limit)).filter((e) => e.type === 'm.room.message');
  }

  /** Waits until an event matching `predicate` is in the room's timeline. */
  waitForEvent(roomId: string, predicate: (event: RoomEvent) => boolean, what = 'an event', timeoutMs = E2E_WAIT_MS): Promise<RoomEvent> {
    return eventually(async () => (await this.timeline(roomId)).find(predicate), `${what} in ${roomId}`, timeoutMs);
  }

  /** Waits until the bot's (or anyone's) reply to `eventId` arrives (`m.in_reply_to`). */
  waitForReply(roomId: string, eventId: string, from?: string, timeoutMs = E2E_WAIT_MS): Promise<RoomEvent> {
    return this.waitForEvent(roomId, (e) => inReplyTo(e) === eventId && (from === undefined || e.sender === from), `a reply to ${eventId}`, timeoutMs);
  }

  /** `userId`'s membership in the room as this user can read it (undefined when none or not visible). */
  async membership(roomId: string, userId: string): Promise<string | undefined> {
    try {
      const content = await this.client.getState(roomId, 'm.room.member', userId);
      return typeof content['membership'] === 'string' ? content['membership'] : undefined;
    } catch (err) {
      if (err instanceof TestClientError && (err.status === 404 || err.status === 403)) return undefined;
      throw err;
    }
  }

  waitForMembership(roomId: string, userId: string, membership: string, timeoutMs = E2E_WAIT_MS): Promise<true> {
    return eventually(async () => (await this.membership(roomId, userId)) === membership, `${userId} to be ${membership} in ${roomId}`, timeoutMs);
  }

  /** The room's power levels as the homeserver holds them. */
  powerLevels(roomId: string): Promise<JsonObject> {
    return this.client.getState(roomId, 'm.room.power_levels');
  }
}

/** The event an event replies to (`m.relates_to.m.in_reply_to.event_id`). */
export function inReplyTo(event: RoomEvent): string | undefined {
  const relates = event.content['m.relates_to'];
  if (typeof relates !== 'object' || relates === null) return undefined;
  const reply = (relates as JsonObject)['m.in_reply_to'];
  if (typeof reply !== 'object' || reply === null) return undefined;
  const id = (reply as JsonObject)['event_id'];
  return typeof id === 'string' ? id : undefined;
}

/** A message's body. */
export function bodyOf(event: RoomEvent): string {
  return String(event.content['body'] ?? '');
}
