import type { JsonObject, RoomEvent } from '../../../src/events/types.js';
import { TestClientError, type TestClient } from '../../../src/testing/index.js';
import { inReplyTo } from '../../bot/harness.js';
import { eventually, sleep, E2E_WAIT_MS } from './wait.js';

export { inReplyTo, bodyOf } from '../../bot/harness.js';

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

  /**
   * Sends a text message as a good client does through a homeserver restart: one txnId,
   * retried on a network error or 5xx until it is answered. Synapse remembers the txnId, so
   * a retry of a send that did arrive creates no second event.
   */
  async sayRetrying(roomId: string, body: string, timeoutMs = 60_000): Promise<string> {
    const txnId = this.client.newTxnId();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.client.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body }, txnId);
      } catch (err) {
        const clientError = err instanceof TestClientError && err.status < 500;
        if (clientError || Date.now() > deadline) throw err;
        await sleep(250);
      }
    }
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
