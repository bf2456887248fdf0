import type { Presence } from '../../homeserver/index.js';
import type { Logger } from '../../log/logger.js';
import type { Puppets } from '../../puppets/index.js';

/** Default re-send period: well inside Synapse's 5-minute idle timer, so an online ghost never turns idle. */
export const DEFAULT_PRESENCE_REFRESH_MS = 60_000;

interface Held {
  readonly presence: Presence;
  readonly statusMsg: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Remote presence onto ghosts. An unchanged state costs no request (remote networks tend
 * to repeat presence); `online` and `unavailable` are re-sent every `refreshMs`, because
 * homeservers time presence out when it is not renewed (Synapse turns an online user
 * idle after 5 minutes, offline after 30 without a sync). `offline` needs no renewal.
 * Held state is in memory: after a restart the first update is sent again, which is right.
 */
export class PresenceRelay {
  private readonly held = new Map<string, Held>();
  private closed = false;

  constructor(private readonly puppets: Puppets, private readonly logger: Logger, private readonly refreshMs = DEFAULT_PRESENCE_REFRESH_MS) {}

  /** Sets the ghost's presence unless it is already that; returns whether a request was made. */
  async set(userId: string, presence: Presence, statusMsg: string | undefined): Promise<boolean> {
    const current = this.held.get(userId);
    if (current && current.presence === presence && current.statusMsg === statusMsg) return false;
    const puppet = this.puppets.get(userId);
    await puppet.ensureRegistered();
    await puppet.setPresence(presence, statusMsg);
    this.hold(userId, presence, statusMsg);
    return true;
  }

  /** Stops every refresh (shutdown); the homeserver lets the states time out by themselves. */
  close(): void {
    this.closed = true;
    for (const held of this.held.values()) clearInterval(held.timer);
    this.held.clear();
  }

  private hold(userId: string, presence: Presence, statusMsg: string | undefined): void {
    clearInterval(this.held.get(userId)?.timer);
    const held: Held = { presence, statusMsg, timer: undefined };
    this.held.set(userId, held);
    if (presence === 'offline' || this.closed) return;
    held.timer = setInterval(() => void this.refresh(userId, held), this.refreshMs);
    held.timer.unref();
  }

  private async refresh(userId: string, held: Held): Promise<void> {
    if (this.held.get(userId) !== held) return;
    try {
      await this.puppets.get(userId).setPresence(held.presence, held.statusMsg);
      this.logger.debug({ userId, presence: held.presence }, 'ghost presence refreshed');
    } catch (err) {
      this.logger.warn({ err, userId }, 'refreshing a ghost\'s presence failed; trying again next period');
    }
  }
}
