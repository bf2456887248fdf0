import type { Logger } from '../../log/logger.js';
import { Sections, type Section, type Store } from '../../store/index.js';
import type { RemoteChannel } from '../remote-events.js';
import type { HistoryMessage, HistoryRequest } from './history.js';
import type { RemotePushResult } from './types.js';

/** The plugin's `fetchHistory`. */
export type FetchHistory = (channel: RemoteChannel, request: HistoryRequest) => Promise<readonly HistoryMessage[]>;

/** The last remote message bridged into a portal: where the next catch-up starts. */
interface LastBridged {
  readonly id: string;
  readonly ts?: number;
}


export interface BackfillDeps {
  /** Undefined: the plugin keeps no history, and nothing here does anything. */
  readonly fetchHistory: FetchHistory | undefined;
  /** Messages per portal per catch-up (config `bridge.backfillLimit`); 0 is off. */
  readonly limit: number;
  readonly store: Store;
  readonly logger: Logger;
}

/**
 * Forward-only catch-up: the first time a channel is seen in a run (its portal just made,
 * or the bridge back after downtime), the plugin's history since the last message bridged
 * is posted before anything live of that channel. The caller runs it inside the channel's
 * queue, so live pushes of the portal wait for it; each history message goes through the
 * same path as a live one (ghost, ts, dedupe by the message mapping), so one already
 * bridged is skipped.
 */
export class Backfill {
  private readonly section: Section<LastBridged>;
  /** Channels caught up (or being caught up) in this run. */
  private readonly seen = new Set<string>();

  constructor(private readonly deps: BackfillDeps) {
    this.section = deps.store.section<LastBridged>(Sections.backfill);
  }

  get enabled(): boolean {
    return this.deps.fetchHistory !== undefined && this.deps.limit > 0;
  }

  /**
   * Catches the portal up, once per channel per run. `before` is the live message about to
   * be bridged, if any. A failing `fetchHistory` is logged and the live event goes on; a
   * history message that cannot be posted fails the live event too (see below).
   */
  async catchUp(channel: RemoteChannel, roomId: string, before: string | undefined, post: (message: HistoryMessage) => Promise<RemotePushResult>): Promise<number> {
    const fetch = this.deps.fetchHistory;
    if (fetch === undefined || this.deps.limit === 0 || this.seen.has(channel.id)) return 0;
    this.seen.add(channel.id);
    const log = this.deps.logger.child({ channelId: channel.id, roomId });
    const last = await this.section.get(`last>${channel.id}`);
    const request: HistoryRequest = {
      limit: this.deps.limit,
      ...(last !== undefined ? { after: last.id, ...(last.ts !== undefined ? { afterTs: last.ts } : {}) } : {}),
      ...(before !== undefined ? { before } : {}),
    };
    let history: readonly HistoryMessage[];
    try {
      history = await fetch(channel, request);
    } catch (err) {
      log.warn({ err, after: request.after, before }, 'fetchHistory failed; the portal goes on without catching up');
      return 0;
    }
    const wanted = within(history, request);
    let posted = 0;
    for (const message of wanted) {
      if (message.channel.id !== channel.id) {
        log.warn({ messageId: message.id, otherChannel: message.channel.id }, 'fetchHistory gave a message of another channel; skipped');
        continue;
      }
      try {
        if (!(await post(message)).duplicate) posted++;
      } catch (err) {
        // The live event must not jump the gap (it would become the last bridged): it fails
        // too, and the channel's next event tries again from the last message bridged.
        this.seen.delete(channel.id);
        log.warn({ err, messageId: message.id, posted }, 'a history message could not be bridged; catch-up stops and is tried again with the next event');
        throw err;
      }
    }
    log.info({ fetched: history.length, posted, after: request.after, before }, 'portal caught up');
    return posted;
  }

  /** Remembers the last message bridged into a channel's portal (live or caught up). */
  async bridged(channelId: string, message: { readonly id: string; readonly ts?: number }): Promise<void> {
    if (!this.enabled) return;
    await this.section.put(`last>${channelId}`, { id: message.id, ...(message.ts !== undefined ? { ts: message.ts } : {}) });
  }
}

/** What lies strictly between `after` and `before` (when the plugin gave more), the newest `limit` of it. */
function within(history: readonly HistoryMessage[], request: HistoryRequest): readonly HistoryMessage[] {
  const afterAt = request.after === undefined ? -1 : history.findIndex((m) => m.id === request.after);
  const beforeAt = request.before === undefined ? -1 : history.findIndex((m) => m.id === request.before);
  const range = history.slice(afterAt + 1, beforeAt < 0 ? history.length : beforeAt);
  return range.slice(Math.max(0, range.length - request.limit));
}
