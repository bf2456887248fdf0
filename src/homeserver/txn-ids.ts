import { createHash, randomBytes } from 'node:crypto';

/**
 * Transaction ids for `PUT /send`, `/redact`. A retry must reuse the id of the attempt it
 * repeats, also after a crash and restart, so ids for keyed sends are derived, not stored.
 *
 * The acting user is part of the derivation because Synapse scopes an appservice's txnIds
 * to the appservice and the request path, not to `user_id` (HttpTransactionCache keys
 * appservice requests by `(path, "appservice", appservice id)`): two puppets sending to one
 * room with one id would get the first one's event back. The event type is in the path
 * anyway, and in the derivation so that one key used for a message and for a reaction
 * names two sends, consistently here and on the server.
 */
export interface TxnIdParts {
  readonly asUser: string;
  readonly roomId: string;
  readonly eventType: string;
  readonly idempotencyKey: string;
}

/** `bk` + 32 base64url characters (192 bits of SHA-256): stable, URL-safe, collision-free in practice. */
export function deriveTxnId(parts: TxnIdParts): string {
  const hash = createHash('sha256')
    .update(JSON.stringify(['bridgekit-txn-v1', parts.asUser, parts.roomId, parts.eventType, parts.idempotencyKey]))
    .digest('base64url');
  return `bk${hash.slice(0, 32)}`;
}

/** For sends without a key: unique per call, reused by that call's retries. */
export function randomTxnId(): string {
  return `bkr${randomBytes(16).toString('base64url')}`;
}
