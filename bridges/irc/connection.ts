/**
 * One IRC identity (the bridge bot, or one Matrix user's puppeted client) that stays
 * connected: it reconnects with backoff when the server drops or restarts, takes another
 * nick when its own is taken, rejoins its channels, and sends through its SendQueue.
 */
import { acquire, backoffDelay, TokenBucket } from './flood.js';
import { deferredRejection, rejectAfter } from './timing.js';
import { ircLower, nickCandidate, sameNick } from './nicks.js';
import { IrcRefused, IrcTimeout, SendQueue } from './send-queue.js';
import { IrcDisconnected, IrcWire, type IrcLine, type WireOptions } from './wire.js';

export interface ConnectionOptions extends WireOptions {
  readonly maxNickLength: number;
  readonly flood: { readonly burst: number; readonly intervalMs: number };
  readonly reconnect: { readonly baseMs: number; readonly maxMs: number };
  /** Batches that may wait (e.g. while disconnected) before new ones are refused. */
  readonly queueLimit: number;
  /** Rejoin a channel it was kicked from (the bot), rather than leave it (a puppet). */
  readonly rejoinOnKick: boolean;
  /** Every line read, after the connection's own bookkeeping. */
  readonly onLine?: (line: IrcLine, connection: IrcConnection) => void;
  readonly onRegistered?: (connection: IrcConnection) => void;
  /** A user's login: how the connection is doing (connecting, connected, transient_disconnect, bad_credentials). */
  readonly onState?: (state: ConnectionState, message?: string) => void;
  /** A NickServ password to IDENTIFY with after registration (never logged). */
  readonly nickservPassword?: string;
}

export type ConnectionState = 'connecting' | 'connected' | 'transient_disconnect' | 'bad_credentials';

/** What NickServ says when it refuses a password (Atheme, Anope). */
const NICKSERV_REFUSED = /invalid password|password incorrect|incorrect password|wrong password|authentication failed/i;

/** Numerics refusing a JOIN: [channel is params[1]]. */
const JOIN_ERRORS = new Set(['403', '405', '437', '471', '473', '474', '475', '476', '477', '489']);
const REGISTRATION_TIMEOUT_MS = 30_000;
const REJOIN_AFTER_KICK_MS = 1_000;

export class IrcConnection {
  nick: string;
  private wire: IrcWire | undefined;
  private registered = false;
  private stopped = false;
  /** Quit until started again: its lease went to another bridge process (cluster mode). */
  private suspended = false;
  private attempts = 0;
  private nickAttempt = 0;
  private away: string | undefined;
  /** Channels to be in, by folded name. */
  private readonly wanted = new Map<string, string>();
  private readonly joined = new Set<string>();
  private readonly joining = new Set<string>();
  private readonly joinErrors = new Map<string, IrcRefused>();
  private readonly listeners = new Set<(line: IrcLine) => void>();
  private readonly changeWaiters = new Set<() => void>();
  private closedSignal = deferredRejection();
  readonly queue: SendQueue;
  /** Server limits from RPL_ISUPPORT (005). */
  readonly isupport = new Map<string, string>();

  constructor(private readonly options: ConnectionOptions) {
    this.nick = options.nick;
    const bucket = new TokenBucket(options.flood.burst, options.flood.intervalMs);
    this.queue = new SendQueue({
      ready: (channel, signal) => this.ready(channel, signal),
      write: (command, ...params) => this.write(command, ...params),
      listen: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      closed: () => this.closedSignal.promise,
    }, bucket, options.queueLimit, `bk${Math.random().toString(36).slice(2, 8)}-`);
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  start(): void {
    if (this.stopped) return;
    this.suspended = false;
    // A wire still quitting (suspended a moment ago) reconnects when it has closed.
    if (this.wire) return;
    this.connect();
  }

  /**
   * Quits until `start` is called again (cluster mode: another bridge process runs this
   * connection now); waiting sends fail, wanted channels are kept.
   */
  suspend(message = 'bridge shutting down'): void {
    if (this.stopped || this.suspended) return;
    this.suspended = true;
    this.queue.clear(new IrcDisconnected());
    this.wire?.quit(message);
  }

  /** Quits for good; waiting sends fail. */
  stop(message = 'bridge shutting down'): void {
    this.stopped = true;
    this.queue.clear(new IrcDisconnected());
    this.wire?.quit(message);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Joins `channel` now (when registered) and after every reconnection. */
  want(channel: string): void {
    const key = ircLower(channel);
    if (!this.wanted.has(key)) this.wanted.set(key, channel);
    this.joinErrors.delete(key);
    this.join(key);
  }

  /** Leaves `channel` and stops rejoining it. */
  unwant(channel: string, message = ''): void {
    const key = ircLower(channel);
    this.wanted.delete(key);
    if (this.joined.has(key)) void this.control('PART', channel, message);
  }

  wantedChannels(): string[] {
    return [...this.wanted.values()];
  }

  isIn(channel: string): boolean {
    return this.joined.has(ircLower(channel));
  }

  /** AWAY with a message, or back (undefined); kept across reconnections. */
  async setAway(message: string | undefined): Promise<void> {
    this.away = message;
    if (this.registered) await this.control('AWAY', ...(message !== undefined ? [message] : []));
  }

  /** Sends a command now, under flood control but outside the message queue (joins, WHO …). */
  async control(command: string, ...params: string[]): Promise<void> {
    await acquire(this.queue.bucket);
    await this.write(command, ...params);
  }

  /**
   * Sends `command` and collects the replies `wanted` picks until `isEnd` (WHO, WHOIS).
   * Rejects on timeout or disconnection.
   */
  async query(send: readonly [string, ...string[]], wanted: (line: IrcLine) => boolean, isEnd: (line: IrcLine) => boolean, timeoutMs: number): Promise<IrcLine[]> {
    const lines: IrcLine[] = [];
    let stop = () => false as boolean;
    const done = new Promise<IrcLine[]>((resolve) => {
      const listener = (line: IrcLine) => {
        if (!wanted(line)) return;
        lines.push(line);
        if (isEnd(line)) resolve(lines);
      };
      this.listeners.add(listener);
      stop = () => this.listeners.delete(listener);
    });
    try {
      await this.control(...send);
      return await Promise.race([done, this.closedSignal.promise, rejectAfter(timeoutMs, () => new IrcTimeout(`a reply to ${send[0]}`))]);
    } finally {
      stop();
    }
  }

  /** Resolves when registered and (for a channel) in it; rejects on `signal` or a refused join. */
  async ready(channel: string | undefined, signal: AbortSignal): Promise<void> {
    const key = channel === undefined ? undefined : ircLower(channel);
    for (;;) {
      if (signal.aborted) throw new IrcTimeout(key === undefined ? 'the IRC connection' : `joining ${channel}`);
      if (key !== undefined && this.joinErrors.has(key) && !this.joined.has(key)) {
        const err = this.joinErrors.get(key)!;
        this.joinErrors.delete(key); // the next attempt tries again
        throw err;
      }
      if (this.registered && (key === undefined || this.joined.has(key))) return;
      // Not in it and not on the way (never wanted, or a refused join being retried): join.
      if (key !== undefined && this.registered && !this.joining.has(key)) this.want(channel!);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.changeWaiters.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.changeWaiters.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  private changed(): void {
    for (const wake of [...this.changeWaiters]) wake();
  }

  private write(command: string, ...params: string[]): Promise<void> {
    if (!this.wire) return Promise.reject(new IrcDisconnected());
    return this.wire.write(command, ...params);
  }

  private join(key: string): void {
    const name = this.wanted.get(key);
    if (!this.registered || name === undefined || this.joined.has(key) || this.joining.has(key)) return;
    this.joining.add(key);
    this.control('JOIN', name).catch(() => this.joining.delete(key));
  }

  private connect(): void {
    const { options } = this;
    if (this.attempts === 0) options.onState?.('connecting');
    this.nickAttempt = 0;
    this.closedSignal = deferredRejection();
    const wire = new IrcWire({
      host: options.host, port: options.port, tls: options.tls, nick: this.nick,
      username: options.username, realname: options.realname, logger: options.logger,
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(options.sasl ? { sasl: options.sasl } : {}),
    }, {
      line: (line) => this.onLine(line),
      registered: (nick) => this.onRegistered(nick),
      closed: () => this.onClosed(wire),
      saslFailed: (reason) => this.onSaslFailed(reason),
    });
    this.wire = wire;
    wire.connect();
    setTimeout(() => {
      if (this.wire === wire && !this.registered) {
        options.logger.warn('IRC registration timed out; reconnecting');
        wire.quit('registration timed out');
      }
    }, REGISTRATION_TIMEOUT_MS).unref();
  }

  private onRegistered(nick: string): void {
    this.nick = nick;
    this.registered = true;
    this.attempts = 0;
    this.joined.clear();
    this.joining.clear();
    this.options.logger.info({ nick, channels: this.wanted.size }, 'connected to IRC');
    for (const key of this.wanted.keys()) this.join(key);
    if (this.away !== undefined) void this.control('AWAY', this.away).catch(() => undefined);
    if (this.options.nickservPassword !== undefined) void this.control('PRIVMSG', 'NickServ', `IDENTIFY ${this.options.nickservPassword}`).catch(() => undefined);
    this.options.onRegistered?.(this);
    this.options.onState?.('connected');
    this.changed();
  }

  /** The account was refused (or the server has no SASL): the login needs its user; no point reconnecting. */
  private onSaslFailed(reason: string): void {
    // irc-framework also tries SASL with a server password; only a user's own account counts here.
    if (!this.options.sasl) return;
    const message = reason === 'capability_missing' ? 'the IRC server does not offer SASL' : `SASL authentication failed (${reason})`;
    this.options.logger.warn({ reason }, 'IRC SASL authentication failed');
    this.options.onState?.('bad_credentials', message);
    this.stop('authentication failed');
  }

  private onClosed(wire: IrcWire): void {
    if (this.wire !== wire) return;
    this.wire = undefined;
    const wasRegistered = this.registered;
    this.registered = false;
    this.joined.clear();
    this.joining.clear();
    this.closedSignal.reject(new IrcDisconnected());
    this.changed();
    if (this.stopped || this.suspended) return;
    const wait = backoffDelay(++this.attempts, this.options.reconnect.baseMs, this.options.reconnect.maxMs);
    this.options.logger[wasRegistered ? 'warn' : 'info']({ attempt: this.attempts, waitMs: wait }, 'IRC connection lost; reconnecting');
    this.options.onState?.('transient_disconnect', 'the IRC connection was lost; reconnecting');
    setTimeout(() => {
      if (!this.stopped && !this.suspended && !this.wire) this.connect();
    }, wait).unref();
  }

  private onLine(line: IrcLine): void {
    this.track(line);
    if (this.options.nickservPassword !== undefined && line.command === 'NOTICE' && line.nick !== undefined && sameNick(line.nick, 'NickServ')
      && NICKSERV_REFUSED.test(line.params[line.params.length - 1] ?? '')) {
      this.options.onState?.('bad_credentials', 'NickServ refused the password');
    }
    for (const listener of [...this.listeners]) listener(line);
    this.options.onLine?.(line, this);
  }

  /** The connection's own state: registration, nick, channels joined. */
  private track(line: IrcLine): void {
    const self = line.nick !== undefined && sameNick(line.nick, this.nick);
    const channel = line.params[0] ?? '';
    switch (line.command) {
      case '005':
        for (const token of line.params.slice(1, -1)) {
          const [key, value = ''] = token.split('=', 2) as [string, string?];
          this.isupport.set(key.toUpperCase(), value);
        }
        return;
      case '432':
      case '433':
      case '436':
        if (!this.registered) {
          this.nick = nickCandidate(this.options.nick, ++this.nickAttempt, this.options.maxNickLength);
          this.options.logger.info({ nick: this.nick }, 'nick taken or refused; trying another');
          void this.write('NICK', this.nick).catch(() => undefined);
        }
        return;
      case 'NICK':
        if (self && line.params[0]) this.nick = line.params[0];
        return;
      case 'JOIN':
        if (self) {
          this.joining.delete(ircLower(channel));
          this.joined.add(ircLower(channel));
          this.changed();
        }
        return;
      case 'PART':
        if (self) this.joined.delete(ircLower(channel));
        return;
      case 'KICK':
        if (line.params[1] !== undefined && sameNick(line.params[1], this.nick)) this.kicked(ircLower(channel));
        return;
      default:
        if (JOIN_ERRORS.has(line.command) && line.params[1] !== undefined) {
          const key = ircLower(line.params[1]);
          if (this.joining.delete(key)) {
            this.joinErrors.set(key, new IrcRefused(line.command, `${line.params[1]}: ${line.params[line.params.length - 1] ?? ''}`));
            this.changed();
          }
        }
    }
  }

  private kicked(key: string): void {
    this.joined.delete(key);
    if (!this.options.rejoinOnKick) {
      this.wanted.delete(key);
      return;
    }
    setTimeout(() => this.join(key), REJOIN_AFTER_KICK_MS).unref();
  }
}
