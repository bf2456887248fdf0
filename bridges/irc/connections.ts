/**
 * The bridge's IRC connections: the bot (reads every bridged channel) and, in puppet
 * mode, one per Matrix user, created when they first need it. Knows which nicks are the
 * bridge's own, so their lines are never bridged back as ghosts. Every connection runs
 * under a connection lease (the bot's, each login's, each puppet's): with several bridge
 * processes (cluster mode) one process holds each.
 */
import type { ConnectionLease, DeliveryAttempt, KeyValue, Logger, LoginStateName, LoginWithCredentials, PluginLeases } from 'matrix-bridgekit';
import type { IrcConfig } from './config.js';
import { IrcConnection, type ConnectionOptions } from './connection.js';
import { forwardedSchema, type Forwarded } from './forwarded.js';
import { nickFromTemplate, sameNick } from './nicks.js';
import type { IrcLine } from './wire.js';

export interface ConnectionsOptions {
  readonly config: IrcConfig;
  readonly kv: KeyValue;
  readonly logger: Logger;
  /** Where the connections are leased (`ctx.leases`). */
  readonly leases: PluginLeases;
  readonly onBotLine: (line: IrcLine) => void;
  readonly onPuppetLine: (line: IrcLine, userId: string, connection: IrcConnection) => void;
  /** A login's connection changed state (reported to bridgekit as the login's state). */
  readonly onLoginState?: (loginId: string, state: LoginStateName, message?: string) => void;
  /** The bot's own connection changed state (reported through `ctx.status`). */
  readonly onBotState?: (state: LoginStateName, message?: string) => void;
  /** Work forwarded to a connection running here (`userId` undefined: the bot's); see forwarded.ts. */
  readonly onForwarded?: (connection: IrcConnection, userId: string | undefined, message: Forwarded, attempt: DeliveryAttempt) => Promise<void>;
}

/** The lease key of the bot's connection. */
export const BOT_KEY = 'bot';

export class Connections {
  readonly bot: IrcConnection;
  private readonly puppets = new Map<string, IrcConnection>();
  private readonly creating = new Map<string, Promise<IrcConnection>>();
  /** Users whose connection is their login's (their own nick and credentials): user → login id. */
  private readonly logins = new Map<string, string>();
  /** The lease of the bot's connection, and of each user's (`login:<id>` or `puppet:<user>`). */
  private botLease: ConnectionLease | undefined;
  private readonly userLeases = new Map<string, { readonly key: string; readonly lease: ConnectionLease }>();

  constructor(private readonly options: ConnectionsOptions) {
    this.bot = this.make(options.config.botNick, 'Matrix bridge', true, options.logger.child({ irc: 'bot' }), (line) => options.onBotLine(line), undefined,
      options.onBotState ? { onState: options.onBotState } : {});
  }

  start(): void {
    this.botLease = this.options.leases.run(BOT_KEY, this.leased(this.bot, undefined));
  }

  /** What runs under a connection's lease: the connection, and the work forwarded to it. */
  private leased(connection: IrcConnection, userId: string | undefined) {
    return {
      start: () => connection.start(),
      stop: () => connection.suspend(),
      messages: forwardedSchema,
      deliver: async (message: Forwarded, attempt: DeliveryAttempt) => {
        if (!this.options.onForwarded) throw new Error('the IRC bridge has not started');
        await this.options.onForwarded(connection, userId, message, attempt);
      },
    };
  }

  /** Whether the bot's connection runs in this process (cluster mode: its lease is here). */
  get botHere(): boolean {
    return this.botLease?.running === true;
  }

  /** Whether a connection runs in this process (cluster mode: its lease is here). */
  runsHere(connection: IrcConnection): boolean {
    if (connection === this.bot) return this.botHere;
    for (const [userId, c] of this.puppets) if (c === connection) return this.userLeases.get(userId)?.lease.running === true;
    return false;
  }

  /** The lease key of a connection of this bridge: where work for it is forwarded. */
  keyOf(connection: IrcConnection): string {
    if (connection === this.bot) return BOT_KEY;
    for (const [userId, c] of this.puppets) {
      const key = c === connection ? this.userLeases.get(userId)?.key : undefined;
      if (key !== undefined) return key;
    }
    throw new Error(`an IRC connection (${connection.nick}) that runs under no lease`);
  }

  /**
   * The user's login gets its connection: their nick, their credentials (SASL or NickServ,
   * config `loginAuth`). A connection the user had already (puppet mode) is replaced, its
   * channels carried over.
   */
  attachLogin(login: LoginWithCredentials, channels: readonly string[]): IrcConnection {
    const { config } = this.options;
    const previous = this.puppets.get(login.userId);
    const nick = typeof login.metadata['nick'] === 'string' ? login.metadata['nick'] : login.remoteId;
    const password = typeof login.credentials['password'] === 'string' && login.credentials['password'] !== '' ? login.credentials['password'] : undefined;
    const logger = this.options.logger.child({ irc: 'login', userId: login.userId, loginId: login.id });
    const connection = this.make(nick, `${login.userId} (via Matrix)`, false, logger, (line, c) => this.options.onPuppetLine(line, login.userId, c), undefined, {
      ...(password !== undefined && config.loginAuth === 'sasl' ? { sasl: { account: nick, password } } : {}),
      ...(password !== undefined && config.loginAuth === 'nickserv' ? { nickservPassword: password } : {}),
      onState: (state, message) => this.options.onLoginState?.(login.id, state, message),
    });
    this.logins.set(login.userId, login.id);
    this.puppets.set(login.userId, connection);
    for (const channel of [...previous?.wantedChannels() ?? [], ...channels]) connection.want(channel);
    previous?.stop('logged in with their own nick');
    this.runLeased(login.userId, `login:${login.id}`, connection);
    return connection;
  }

  /** The user logged out: their login's connection quits. */
  detachLogin(userId: string): void {
    if (!this.logins.delete(userId)) return;
    const connection = this.puppets.get(userId);
    this.puppets.delete(userId);
    connection?.stop('logged out');
    this.releaseLeased(userId);
  }

  /**
   * Runs the user's connection under its lease. The lease of their connection before
   * (a puppet's, another login's) goes; the same key's passes to this connection.
   */
  private runLeased(userId: string, key: string, connection: IrcConnection): void {
    const before = this.userLeases.get(userId);
    if (before && before.key !== key) void before.lease.release();
    this.userLeases.set(userId, { key, lease: this.options.leases.run(key, this.leased(connection, userId)) });
  }

  private releaseLeased(userId: string): void {
    void this.userLeases.get(userId)?.lease.release();
    this.userLeases.delete(userId);
  }

  /** Whether the user's connection is their login's. */
  hasLogin(userId: string): boolean {
    return this.logins.has(userId);
  }

  /** Whether the user gets a connection of their own: a login, or puppet mode. */
  mayPuppet(userId: string): boolean {
    return this.logins.has(userId) || this.options.config.mode === 'puppet';
  }

  /** The Matrix user's own connection (their login's, else a puppet), created (and connecting) when missing. */
  forUser(userId: string, displayName: string | undefined): Promise<IrcConnection> {
    const existing = this.puppets.get(userId);
    // A login's connection stays theirs even when stopped (refused credentials): no puppet behind their back.
    if (existing && (!existing.isStopped || this.logins.has(userId))) return Promise.resolve(existing);
    // Concurrent first uses (a join and a message) share one connection.
    let creating = this.creating.get(userId);
    if (!creating) {
      creating = this.create(userId, displayName).finally(() => this.creating.delete(userId));
      this.creating.set(userId, creating);
    }
    return creating;
  }

  private async create(userId: string, displayName: string | undefined): Promise<IrcConnection> {
    const { config } = this.options;
    // The nick the user had before (kept across restarts), else one from their name.
    const stored = await this.options.kv.get<string>(`puppet>${userId}`);
    const name = displayName?.trim() || userId.slice(1).split(':')[0] || 'matrix';
    const nick = stored ?? nickFromTemplate(config.nickTemplate, name, config.server.maxNickLength);
    const logger = this.options.logger.child({ irc: 'puppet', userId });
    const connection = this.make(nick, `${userId} (via Matrix)`, false, logger, (line, c) => this.options.onPuppetLine(line, userId, c), (c) => {
      void this.options.kv.put(`puppet>${userId}`, c.nick).catch((err: unknown) => logger.warn({ err }, 'could not store the puppet nick'));
    });
    this.puppets.set(userId, connection);
    this.runLeased(userId, `puppet:${userId}`, connection);
    return connection;
  }

  /** Stores the user's current nick, so they keep it across restarts. */
  async rememberNick(userId: string): Promise<void> {
    const connection = this.puppets.get(userId);
    if (connection) await this.options.kv.put(`puppet>${userId}`, connection.nick);
  }

  existing(userId: string): IrcConnection | undefined {
    return this.puppets.get(userId);
  }

  /** Is `nick` one of the bridge's own connections? */
  isOurs(nick: string): boolean {
    return sameNick(nick, this.bot.nick) || this.userForNick(nick) !== undefined;
  }

  /** The Matrix user whose connection has `nick`. */
  userForNick(nick: string): string | undefined {
    for (const [userId, connection] of this.puppets) if (sameNick(connection.nick, nick)) return userId;
    return undefined;
  }

  /** Quits the user's connection when it has no channel left to be in (a login's stays: it is theirs). */
  releaseIfIdle(userId: string): void {
    const connection = this.puppets.get(userId);
    if (!connection || connection.wantedChannels().length > 0 || this.logins.has(userId)) return;
    this.puppets.delete(userId);
    connection.stop('left Matrix');
    this.releaseLeased(userId);
  }

  stopAll(): void {
    for (const connection of this.puppets.values()) connection.stop();
    this.puppets.clear();
    for (const userId of [...this.userLeases.keys()]) this.releaseLeased(userId);
    this.logins.clear();
    this.bot.stop();
    void this.botLease?.release();
  }

  private make(
    nick: string, realname: string, isBot: boolean, logger: Logger,
    onLine: (line: IrcLine, c: IrcConnection) => void, onRegistered?: (c: IrcConnection) => void,
    account: Pick<ConnectionOptions, 'sasl' | 'nickservPassword' | 'onState'> = {},
  ): IrcConnection {
    const { config } = this.options;
    return new IrcConnection({
      host: config.server.host, port: config.server.port, tls: config.server.tls,
      ...(config.server.password !== undefined ? { password: config.server.password } : {}),
      nick, username: config.username, realname, maxNickLength: config.server.maxNickLength,
      flood: config.flood, reconnect: config.reconnect, queueLimit: config.queueLimit,
      rejoinOnKick: isBot, logger, onLine,
      ...(onRegistered ? { onRegistered } : {}),
      ...account,
    });
  }
}
