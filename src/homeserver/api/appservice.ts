import { ShapeError, requireObject } from '../../events/validate.js';
import type { HomeserverClient } from '../client.js';
import { route } from '../route.js';
import { controls, type ActingOptions } from './acting.js';

/**
 * `POST /_matrix/client/v1/appservice/{appserviceId}/ping`: asks the homeserver to call our
 * `/_matrix/app/v1/ping` and report how long it took.
 *
 * Never repeated after a 5xx: here a 502 (M_BAD_STATUS, M_CONNECTION_FAILED) or 504
 * (M_CONNECTION_TIMEOUT) is the answer (the homeserver could not reach us), not a hiccup.
 */
export class AppserviceApi {
  constructor(private readonly client: HomeserverClient, private readonly appserviceId: string) {}

  /** Returns the round trip the homeserver measured, in ms. */
  async ping(transactionId?: string, options: Omit<ActingOptions, 'asUser'> = {}): Promise<number> {
    return this.client.request('POST', route('/_matrix/client/v1/appservice/{appserviceId}/ping', { appserviceId: this.appserviceId }), {
      body: transactionId === undefined ? {} : { transaction_id: transactionId },
      idempotent: false,
      parse: (body) => {
        const duration = requireObject(body, 'response')['duration_ms'];
        if (typeof duration !== 'number') throw new ShapeError('response.duration_ms', 'must be a number');
        return duration;
      },
      ...controls(options),
    });
  }
}
