import type { HomeserverApi } from '../homeserver/index.js';
import type { Logger } from '../log/logger.js';

export interface TypingOptions {
  /** How long each typing notification lasts on the homeserver (default 30 000 ms). */
  readonly timeoutMs?: number;
  /** Stop by itself after this long, in case the caller never does (default: never). */
  readonly maxMs?: number;
}

/**
 * A typing notification held open: re-sent before the homeserver's timeout runs out for
 * as long as it is held. `stop()` sends "not typing" and ends the refreshes.
 */
export class Typing {
  private timer: NodeJS.Timeout | undefined;
  private limit: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Notifications go out one after another, so a late refresh never lands after "stopped". */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly userId: string,
    readonly roomId: string,
    private readonly api: HomeserverApi,
    private readonly timeoutMs: number,
    private readonly onEnd: () => void,
    private readonly log: Logger,
  ) {}

  get active(): boolean {
    return !this.stopped;
  }

  /** Sends the first notification (errors reach the caller) and starts refreshing. */
  async begin(maxMs: number | undefined): Promise<void> {
    await this.enqueue(true);
    this.schedule();
    if (maxMs !== undefined) {
      this.limit = setTimeout(() => void this.stop().catch(() => undefined), maxMs);
      this.limit.unref();
    }
  }

  /** Sends "not typing" and ends the refreshes; safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.limit);
    this.onEnd();
    await this.enqueue(false);
  }

  /** Ends the refreshes without telling the homeserver (shutdown: the notification times out by itself). */
  abandon(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.limit);
    this.onEnd();
  }

  private schedule(): void {
    if (this.stopped) return;
    // Refresh well before the server's timeout, leaving room for a slow request.
    this.timer = setTimeout(() => void this.refresh(), Math.max(50, Math.floor((this.timeoutMs * 2) / 3)));
    this.timer.unref();
  }

  private async refresh(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.enqueue(true);
    } catch (err) {
      this.log.warn({ roomId: this.roomId, userId: this.userId, err }, 'typing refresh failed; trying again at the next refresh');
    }
    this.schedule();
  }

  private enqueue(typing: boolean): Promise<void> {
    const next = this.chain.then(() => this.api.ephemeral.setTyping(this.roomId, typing, {
      asUser: this.userId, ...(typing ? { typingTimeoutMs: this.timeoutMs } : {}),
    }));
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** The typing notifications held open, one per user and room, shared by every Puppet object. */
export class TypingTracker {
  private readonly active = new Map<string, Typing>();

  constructor(private readonly api: HomeserverApi, private readonly log: Logger) {}

  /** Starts typing, or returns the notification already held for this user and room. */
  async start(userId: string, roomId: string, options: TypingOptions = {}): Promise<Typing> {
    const key = `${roomId}\u0000${userId}`;
    const held = this.active.get(key);
    if (held?.active) return held;
    const typing = new Typing(userId, roomId, this.api, options.timeoutMs ?? 30_000, () => {
      if (this.active.get(key) === typing) this.active.delete(key);
    }, this.log);
    this.active.set(key, typing);
    try {
      await typing.begin(options.maxMs);
    } catch (err) {
      typing.abandon();
      throw err;
    }
    return typing;
  }

  /** The notification held for this user and room, if any. */
  held(userId: string, roomId: string): Typing | undefined {
    return this.active.get(`${roomId}\u0000${userId}`);
  }

  /** Ends every refresh timer (shutdown). */
  abandonAll(): void {
    for (const typing of [...this.active.values()]) typing.abandon();
  }
}
