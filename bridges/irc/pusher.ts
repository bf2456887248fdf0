/**
 * IRC → Matrix through `ctx.remote.push`, in lanes: one per channel (or DM), so what
 * happened in a channel reaches its portal in the order IRC said it. A failed push is
 * tried again a few times (the homeserver may be restarting), then logged: IRC keeps no
 * history to fetch it from later.
 */
import type { Logger, PluginContext, PushResult, RemoteEvent } from 'matrix-bridgekit';
import { delay } from './timing.js';
import { Lanes } from './lanes.js';
import type { RecentMessages } from './recent.js';

const ATTEMPTS = 5;
const RETRY_BASE_MS = 200;

export class Pusher {
  private readonly lanes = new Lanes();

  constructor(
    private readonly push: PluginContext['remote']['push'],
    private readonly recent: RecentMessages,
    private readonly logger: Logger,
  ) {}

  /** Runs `job` after everything queued before in `lane`. Errors are logged. */
  inLane(lane: string, job: () => Promise<void>): void {
    this.lanes.run(lane, job).catch((err: unknown) => this.logger.warn({ err, lane }, 'IRC event not bridged'));
  }

  /** Queues one event in its lane. */
  queue(lane: string, event: RemoteEvent): void {
    this.inLane(lane, async () => { await this.send(event); });
  }

  /** Pushes now (call inside a lane job), retrying; undefined when it finally failed. */
  async send(event: RemoteEvent): Promise<PushResult | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.push(event);
        if (event.kind === 'message' && result.eventId !== undefined && event.sender) {
          this.recent.remember(result.eventId, { nick: event.sender.displayName ?? event.sender.id, text: event.text });
        }
        if (result.refused) this.logger.info({ kind: event.kind, refused: result.refused }, 'IRC event refused in Matrix');
        return result;
      } catch (err) {
        // A permanent problem (e.g. an unknown target) does not improve with retries.
        const permanent = err instanceof Error && err.name === 'RemotePushError';
        if (permanent || attempt >= ATTEMPTS) {
          this.logger.warn({ err, kind: event.kind, attempt }, 'IRC event could not be bridged to Matrix');
          return undefined;
        }
        await delay(RETRY_BASE_MS * 2 ** (attempt - 1));
      }
    }
  }

  idle(): Promise<void> {
    return this.lanes.idle();
  }
}
