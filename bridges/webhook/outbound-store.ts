import { createHash } from 'node:crypto';
import type { KeyValue } from 'matrix-bridgekit';

/** Where a room's messages go. */
export interface OutboundTarget {
  readonly url: string;
  readonly setBy: string;
  readonly setAt: number;
}

/** The JSON a target receives for each message. */
export interface OutboundPayload {
  /** The Matrix event id: also the `Idempotency-Key` header. */
  readonly id: string;
  readonly room_id: string;
  readonly sender: string;
  readonly sender_name?: string;
  readonly body: string;
  readonly html?: string;
  readonly msgtype: string;
  readonly origin_server_ts: number;
  /** Files: the `mxc://` URI and what the event says about it. */
  readonly media?: {
    readonly url: string;
    /** An http(s) link the target can fetch (with `bridge.publicUrl`; the mxc URI needs a Matrix login). */
    readonly link?: string;
    readonly filename?: string;
    readonly mimetype?: string;
    readonly size?: number;
  };
  readonly reply_to?: string;
  readonly thread_root?: string;
  /** For an edit: the event id of the message it replaces. */
  readonly replaces?: string;
}

/** One message waiting to go out. */
export interface Delivery {
  readonly target: string;
  readonly payload: OutboundPayload;
  readonly attempts: number;
  /** Not before (ms since epoch). */
  readonly nextAt: number;
  readonly enqueuedAt: number;
}

export interface OutboundStats {
  readonly delivered: number;
  readonly rejected: number;
  readonly gaveUp: number;
}

const SEP = '\u0000';
/** Fixed width so that key order is delivery order. */
const seqText = (seq: number) => String(seq).padStart(15, '0');
const targetTag = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 24);

export const keys = {
  target: (roomId: string) => `out:${roomId}`,
  seq: (roomId: string) => `outseq:${roomId}`,
  queueAll: 'outq:',
  queueOf: (roomId: string) => `outq:${roomId}${SEP}`,
  queue: (roomId: string, seq: number) => `outq:${roomId}${SEP}${seqText(seq)}`,
  delivered: (url: string, eventId: string) => `outdone:${targetTag(url)}${SEP}${eventId}`,
  deliveredAll: 'outdone:',
  stats: (roomId: string) => `outstats:${roomId}`,
};

/** The room id of a queue key. */
export function roomOfQueueKey(key: string): string {
  return key.slice(keys.queueAll.length, key.lastIndexOf(SEP));
}

export const NO_STATS: OutboundStats = { delivered: 0, rejected: 0, gaveUp: 0 };

/**
 * Puts a message in its room's queue. Called with the handler's `scope.kv`, so the
 * delivery exists exactly when the event counts as handled. Returns false when this
 * message already reached this target.
 */
export async function enqueue(kv: KeyValue, roomId: string, target: string, payload: OutboundPayload): Promise<boolean> {
  if (await kv.get(keys.delivered(target, payload.id)) !== undefined) return false;
  const seq = ((await kv.get<number>(keys.seq(roomId))) ?? 0) + 1;
  await kv.put(keys.seq(roomId), seq);
  const delivery: Delivery = { target, payload, attempts: 0, nextAt: 0, enqueuedAt: Date.now() };
  await kv.put(keys.queue(roomId, seq), delivery);
  return true;
}

export async function addStat(kv: KeyValue, roomId: string, field: keyof OutboundStats): Promise<void> {
  const stats = (await kv.get<OutboundStats>(keys.stats(roomId))) ?? NO_STATS;
  await kv.put(keys.stats(roomId), { ...stats, [field]: stats[field] + 1 });
}

/** Shows a URL without what may be a credential in its path or query (for logs). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
