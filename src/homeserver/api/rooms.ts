import type { JsonObject, RoomEvent, StateEvent } from '../../events/types.js';
import { parseRoomEvent } from '../../events/parse.js';
import { ShapeError, requireId, requireObject } from '../../events/validate.js';
import type { HomeserverClient } from '../client.js';
import { MatrixError } from '../errors.js';
import { route } from '../route.js';
import { actingUser, controls, type ActingOptions } from './acting.js';

/** Reads room state for the mirror's hydration. */
export type StateFetcher = (roomId: string) => Promise<StateEvent[]>;

/**
 * Rooms as wholes: creating them and reading their state.
 *
 * `createRoom` is never repeated after a 5xx, timeout or broken connection: a repeat
 * would create a second room. The caller decides (e.g. by checking the alias it asked for).
 */
export class RoomsApi {
  constructor(private readonly client: HomeserverClient) {}

  /** `POST /createRoom` with the body as the spec defines it; returns the room id. */
  async createRoom(body: JsonObject, options: ActingOptions = {}): Promise<string> {
    return this.client.request('POST', route('/_matrix/client/v3/createRoom'), {
      asUser: actingUser(this.client, options),
      body,
      idempotent: false,
      parse: (response) => requireId(requireObject(response, 'response'), 'room_id', '!', 'response'),
      ...controls(options),
    });
  }

  /** `GET /rooms/{roomId}/state`: the current state, every event validated. */
  async getState(roomId: string, options: ActingOptions = {}): Promise<StateEvent[]> {
    return this.client.request('GET', route('/_matrix/client/v3/rooms/{roomId}/state', { roomId }), {
      asUser: actingUser(this.client, options),
      parse: parseStateList,
      ...controls(options),
    });
  }

  /**
   * `GET /rooms/{roomId}/state/{eventType}/{stateKey}`: the content, or undefined when the
   * room has no such state. Other errors (not in the room: 403) are thrown.
   */
  async getStateContent(roomId: string, eventType: string, stateKey = '', options: ActingOptions = {}): Promise<JsonObject | undefined> {
    try {
      return await this.client.request('GET', route('/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}', { roomId, eventType, stateKey }), {
        asUser: actingUser(this.client, options),
        ...controls(options),
      });
    } catch (err) {
      if (err instanceof MatrixError && err.isNotFound) return undefined;
      throw err;
    }
  }

  /** A fetcher for the mirror, acting as the bot or as a given joined user. */
  stateFetcher(options: ActingOptions = {}): StateFetcher {
    return (roomId) => this.getState(roomId, options);
  }
}

/** The one endpoint whose body is an array, not an object. */
function parseStateList(body: unknown): StateEvent[] {
  if (!Array.isArray(body)) throw new ShapeError('response', 'must be an array of state events');
  return body.map((item, i) => {
    const event: RoomEvent = parseRoomEvent(item, `response[${i}]`);
    if (typeof event.state_key !== 'string') throw new ShapeError(`response[${i}].state_key`, 'must be a string');
    return event as StateEvent;
  });
}
