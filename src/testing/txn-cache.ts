import type { JsonObject } from '../events/types.js';

/**
 * Remembers what a client's transaction produced, as Synapse does for `PUT …/{txnId}`:
 * the same key gets the same answer and the work is not done twice. Keys include the
 * request path and who sent it, so one txnId in two rooms or from two users is two
 * transactions. Failures are forgotten so that a retry can succeed.
 */
export class TransactionCache {
  private readonly results = new Map<string, Promise<JsonObject>>();

  run(key: string, work: () => JsonObject | Promise<JsonObject>): Promise<JsonObject> {
    const known = this.results.get(key);
    if (known) return known;
    const result = Promise.resolve().then(work);
    this.results.set(key, result);
    result.catch(() => this.results.delete(key));
    return result;
  }
}
