/**
 * IRC AWAY ↔ Matrix presence, for ghosts. Servers with `away-notify` say when someone
 * goes away or comes back; others (ngircd among them) only show it in WHO (`G` for gone,
 * `H` for here), so the bot polls WHO per channel and asks WHOIS for the away message of
 * whoever just went away. Also notes each member's user@host (for ban masks).
 */
import type { Core } from './core.js';
import { ircLower, sameNick } from './nicks.js';

const QUERY_TIMEOUT_MS = 15_000;

export class AwayWatch {
  /** Folded nick → away message, or false when here. */
  private readonly known = new Map<string, string | false>();
  private readonly polling = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly core: Core) {}

  start(): void {
    this.timer = setInterval(() => {
      for (const state of this.core.channels.all()) if (state.synced) this.poll(state.name);
    }, this.core.config.awayPollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** An `AWAY` line (away-notify): a message means away, none means back. */
  changed(nick: string, message: string | undefined): void {
    this.report(nick, message !== undefined && message !== '' ? message : false);
  }

  gone(nick: string): void {
    this.known.delete(ircLower(nick));
  }

  renamed(oldNick: string, newNick: string): void {
    const value = this.known.get(ircLower(oldNick));
    this.known.delete(ircLower(oldNick));
    if (value !== undefined) this.known.set(ircLower(newNick), value);
  }

  /** Checks a channel's members now (in the background; one check per channel at a time). */
  poll(channel: string): void {
    const key = ircLower(channel);
    if (this.polling.has(key)) return;
    this.polling.add(key);
    this.check(channel)
      .catch((err: unknown) => this.core.logger.debug({ err, channel }, 'WHO poll failed; trying again next time'))
      .finally(() => this.polling.delete(key));
  }

  private async check(channel: string): Promise<void> {
    const bot = this.core.connections.bot;
    if (!bot.isIn(channel)) return;
    const lines = await bot.query(
      ['WHO', channel],
      (l) => (l.command === '352' || l.command === '315') && l.params[1] !== undefined && sameNick(l.params[1], channel),
      (l) => l.command === '315',
      QUERY_TIMEOUT_MS,
    );
    const state = this.core.channels.get(channel);
    for (const line of lines) {
      if (line.command !== '352') continue;
      const [, , ident, host, , nick, flags] = line.params;
      if (nick === undefined || flags === undefined) continue;
      const member = state?.members.get(ircLower(nick));
      if (member) {
        if (ident !== undefined) member.ident = ident;
        if (host !== undefined) member.host = host;
      }
      if (this.core.connections.isOurs(nick)) continue;
      const away = flags.startsWith('G');
      const before = this.known.get(ircLower(nick));
      if (before !== undefined && (before !== false) === away) continue;
      this.report(nick, away ? await this.awayMessage(nick) : false);
    }
  }

  private async awayMessage(nick: string): Promise<string> {
    try {
      const lines = await this.core.connections.bot.query(
        ['WHOIS', nick],
        (l) => ['301', '318', '401'].includes(l.command) && l.params[1] !== undefined && sameNick(l.params[1], nick),
        (l) => l.command === '318' || l.command === '401',
        QUERY_TIMEOUT_MS,
      );
      return lines.find((l) => l.command === '301')?.params[2] ?? 'away';
    } catch {
      return 'away';
    }
  }

  private report(nick: string, away: string | false): void {
    const key = ircLower(nick);
    if (this.known.get(key) === away) return;
    this.known.set(key, away);
    const sender = this.core.identities.user(nick);
    this.core.pusher.queue(`user:${sender.id}`, {
      kind: 'presence', sender, presence: away === false ? 'online' : 'unavailable', ...(away !== false ? { statusMsg: away } : {}),
    });
  }
}
