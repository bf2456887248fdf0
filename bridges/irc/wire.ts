/**
 * One socket to the IRC server through irc-framework (connection, TLS, CAP negotiation,
 * registration, keep-alive pings), with everything it reads checked into `IrcLine`s: IRC
 * input is untrusted, and the rest of the bridge only ever sees these.
 */
import ircFramework from 'irc-framework';
import type { Logger } from 'matrix-bridgekit';

export interface IrcLine {
  /** Upper case; numerics as their three digits. */
  readonly command: string;
  readonly params: readonly string[];
  /** The sender's nick (undefined for a server or no prefix). */
  readonly nick?: string;
  readonly ident?: string;
  readonly host?: string;
  /** `nick!ident@host` or a server name; '' when none. */
  readonly prefix: string;
  readonly tags: ReadonlyMap<string, string>;
}

export interface WireOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly password?: string;
  readonly nick: string;
  readonly username: string;
  readonly realname: string;
  readonly logger: Logger;
  /** A user's own account: SASL PLAIN during registration (never logged). */
  readonly sasl?: { readonly account: string; readonly password: string };
}

export interface WireEvents {
  line(line: IrcLine): void;
  registered(nick: string): void;
  closed(): void;
  /** SASL did not succeed: the server refused the credentials, or offers no SASL. */
  saslFailed?(reason: string): void;
}

const MAX_PARAMS = 64;
const MAX_PARAM_LENGTH = 8192;

const isString = (v: unknown): v is string => typeof v === 'string';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

/** An irc-framework message object as an `IrcLine`, or undefined when it is not one. */
export function toLine(message: unknown): IrcLine | undefined {
  const m = record(message);
  if (!m || !isString(m['command']) || !/^[A-Za-z]+$|^\d{3}$/.test(m['command'])) return undefined;
  const params = m['params'];
  if (!Array.isArray(params) || params.length > MAX_PARAMS || !params.every((p) => isString(p) && p.length <= MAX_PARAM_LENGTH)) return undefined;
  const prefix = isString(m['prefix']) ? m['prefix'] : '';
  const isUser = prefix.includes('!') || prefix.includes('@') || (prefix !== '' && !prefix.includes('.'));
  const nick = isUser && isString(m['nick']) && m['nick'] !== '' ? m['nick'] : undefined;
  const tags = new Map<string, string>();
  const rawTags = record(m['tags']);
  if (rawTags) for (const [k, v] of Object.entries(rawTags)) if (isString(v)) tags.set(k, v);
  return {
    command: m['command'].toUpperCase(),
    params: params as string[],
    prefix,
    tags,
    ...(nick !== undefined ? { nick } : {}),
    ...(nick !== undefined && isString(m['ident']) && m['ident'] !== '' ? { ident: m['ident'] } : {}),
    ...(nick !== undefined && isString(m['hostname']) && m['hostname'] !== '' ? { host: m['hostname'] } : {}),
  };
}

/** The one CTCP the bridge sends: an emote, `\x01ACTION text\x01` with no other `\x01`. */
const ACTION = /^\x01ACTION [^\x01]*\x01$/;

/**
 * A line to send: `params` joined by spaces, the last one as the trailing parameter.
 * Refuses CR, LF and NUL, and `\x01` anywhere but an ACTION: text reaching here has been
 * cleaned (sanitize.ts), so one of them means a path that was not, and it fails loudly.
 */
export function formatLine(command: string, params: readonly string[]): string {
  if (!/^[A-Za-z]+$/.test(command)) throw new Error(`not an IRC command: ${command}`);
  params.forEach((p, i) => {
    if (/[\r\n\0]/.test(p)) throw new Error('an IRC parameter may not contain CR, LF or NUL');
    if (p.includes('\x01') && !(i === params.length - 1 && ACTION.test(p))) throw new Error('an IRC parameter may not contain \\x01 (CTCP) except the bridge\'s own ACTION');
    if (i < params.length - 1 && (p === '' || p.includes(' ') || p.startsWith(':'))) throw new Error(`bad middle IRC parameter: ${JSON.stringify(p)}`);
  });
  const last = params[params.length - 1];
  const head = [command, ...params.slice(0, -1)];
  if (last === undefined) return command;
  return `${head.join(' ')} ${last === '' || last.includes(' ') || last.startsWith(':') ? `:${last}` : last}`;
}

/** One connection attempt: connect, register, read lines, until it closes. Not reused. */
export class IrcWire {
  private readonly client: InstanceType<typeof ircFramework.Client>;
  private closed = false;

  constructor(private readonly options: WireOptions, private readonly events: WireEvents) {
    // irc-framework's own reconnection is off: IrcConnection reconnects with its own backoff.
    this.client = new ircFramework.Client({ auto_reconnect: false });
    this.client.use((_client, raw) => raw.use((_command, message, _rawLine, _c, next) => {
      const line = toLine(message);
      if (line) {
        try {
          this.events.line(line);
        } catch (err) {
          this.options.logger.error({ err, command: line.command }, 'IRC line handler failed');
        }
      } else {
        this.options.logger.debug('unreadable IRC line ignored');
      }
      next();
    }));
    this.client.on('registered', (event: unknown) => {
      const nick = record(event)?.['nick'];
      this.events.registered(isString(nick) ? nick : options.nick);
    });
    this.client.on('close', () => this.close());
    this.client.on('sasl failed', (event: unknown) => {
      const reason = record(event)?.['reason'];
      this.events.saslFailed?.(isString(reason) ? reason : 'fail');
    });
    this.client.on('socket error', (err: unknown) => this.options.logger.debug({ err }, 'IRC socket error'));
  }

  connect(): void {
    this.client.connect({
      host: this.options.host,
      port: this.options.port,
      tls: this.options.tls,
      ...(this.options.password !== undefined ? { password: this.options.password } : {}),
      // irc-framework speaks SASL PLAIN with this; without a server that offers it, registration goes on and saslFailed says so.
      ...(this.options.sasl ? { account: { account: this.options.sasl.account, password: this.options.sasl.password } } : {}),
      nick: this.options.nick,
      username: this.options.username,
      gecos: this.options.realname,
      auto_reconnect: false,
      // Lines are split by the bridge to the real limit; this only guards irc-framework's own sends.
      message_max_length: 400,
      ping_interval: 30,
      ping_timeout: 120,
      version: 'bridgekit IRC bridge',
    });
  }

  get connected(): boolean {
    return this.client.connected && !this.closed;
  }

  /** Writes one line; resolves once flushed to the socket. */
  write(command: string, ...params: string[]): Promise<void> {
    const line = formatLine(command, params);
    return new Promise((resolve, reject) => {
      if (!this.connected) {
        reject(new IrcDisconnected());
        return;
      }
      // False when irc-framework knows it is not connected (otherwise nothing useful).
      const ok = this.client.connection.write(line, (err?: unknown) => (err ? reject(new IrcDisconnected()) : resolve()));
      if (ok === false) reject(new IrcDisconnected());
    });
  }

  /** Says goodbye and closes (also a connection still being made). */
  quit(message: string): void {
    if (this.closed) return;
    this.client.quit(message);
    // The QUIT is flushed first; a socket that never answers is given up on.
    setTimeout(() => this.close(), 2_000).unref();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.removeAllListeners();
    this.events.closed();
  }
}

/** The connection is down: the line was not sent (and may be, after reconnecting). */
export class IrcDisconnected extends Error {
  constructor() {
    super('not connected to the IRC server');
    this.name = 'IrcDisconnected';
  }
}
