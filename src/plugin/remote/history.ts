import type { RemoteEvent } from '../remote-events.js';

/** What bridgekit asks `fetchHistory` for: the channel's messages between two points, oldest first. */
export interface HistoryRequest {
  /**
   * The last remote message bridged into this portal (exclusive): return what came after
   * it. Undefined for a portal that has had none (a new one): return the latest messages.
   */
  readonly after?: string;
  /** When `after` happened (its `ts`), for networks that page by time. */
  readonly afterTs?: number;
  /** A message being bridged live right now (exclusive): return what came before it. */
  readonly before?: string;
  /** At most this many (config `bridge.backfillLimit`): the newest ones, if there are more. */
  readonly limit: number;
}

/** A message of the channel's history: what `push` takes, with `ts` (its remote time) strongly advised. */
export type HistoryMessage = Extract<RemoteEvent, { kind: 'message' }>;
