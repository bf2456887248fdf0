import { HomeserverApi, HomeserverClient, MatrixError, route } from '../../homeserver/index.js';
import { requireObject, requireString } from '../../events/validate.js';
import type { Logger } from '../../log/logger.js';
import type { Mirror } from '../../mirror/index.js';
import type { Store } from '../../store/store.js';
import type { Messages } from '../messages.js';
import type { Puppets } from '../puppets.js';
import { DoublePuppet } from './double-puppet.js';
import { DoublePuppetSessions, type DoublePuppetSession } from './sessions.js';

/**
 * The content key by which the bridge knows its own double-puppeted events (the one
 * mautrix bridges use, so that clients and other bridges can tell them apart too). Its
 * value is the appservice id.
 */
export const DOUBLE_PUPPET_MARKER = 'fi.mau.double_puppet_source';

export interface DoublePuppetsOptions {
  /** Per homeserver domain: `as_token:<token>` (config `doublePuppet.secrets`). */
  readonly secrets: Readonly<Record<string, string>>;
  /** Client-server URLs of other homeservers, by domain (config `doublePuppet.servers`). */
  readonly servers: Readonly<Record<string, string>>;
  readonly ownDomain: string;
  readonly ownUrl: string;
  /** The marker's value: the appservice id. */
  readonly source: string;
  readonly puppets: Puppets;
  readonly mirror: Pick<Mirror, 'room'>;
  readonly store: Store;
  readonly logger: Logger;
  /** How long a refused login is not tried again (default 60 s): no request per message. */
  readonly refusedForMs?: number;
}

interface Server {
  readonly domain: string;
  readonly url: string;
  /** The secret as configured (`as_token:…`): sessions are sealed under it. */
  readonly secret: string;
}

interface Live {
  readonly session: DoublePuppetSession;
  readonly messages: Messages;
}

/**
 * Real Matrix users the bridge may send as, through the appservice way bridgev2 uses: an
 * `as_token` for the user's homeserver logs them in (`m.login.application_service`), and
 * the session is kept (sealed, see DoublePuppetSessions) and renewed when the homeserver
 * no longer knows its token. Events carry the marker so the plugin host drops their echo.
 */
export class DoublePuppets {
  private readonly sessions: DoublePuppetSessions;
  private readonly live = new Map<string, Live>();
  private readonly logins = new Map<string, Promise<Live>>();
  private readonly refusedUntil = new Map<string, number>();
  /** Domains with a secret but no URL, already warned about. */
  private readonly unreachable = new Set<string>();

  constructor(private readonly options: DoublePuppetsOptions) {
    this.sessions = new DoublePuppetSessions(options.store);
  }

  /**
   * The double puppet of `userId` for a send in `roomId`; undefined (send as the ghost) when
   * their homeserver has no secret, the room is encrypted (the bridge holds no keys of
   * theirs), they are not joined there, or their login was refused.
   */
  async forRoom(userId: string, roomId: string): Promise<DoublePuppet | undefined> {
    // The bridge's own users (bot, ghosts) are puppets already.
    if (this.options.puppets.controls(userId)) return undefined;
    const server = this.server(userId);
    if (!server) return undefined;
    const log = this.options.logger;
    const room = await this.options.mirror.room(roomId);
    if (room?.encrypted) {
      log.info({ userId, roomId }, 'double puppet not used in an encrypted room: sent as the ghost');
      return undefined;
    }
    if (room && await room.membership(userId) !== 'join') {
      log.info({ userId, roomId }, 'double puppet not used: the user is not in the room; sent as the ghost');
      return undefined;
    }
    if ((this.refusedUntil.get(userId) ?? 0) > Date.now()) return undefined;
    try {
      await this.session(userId, server);
    } catch (err) {
      this.refusedUntil.set(userId, Date.now() + (this.options.refusedForMs ?? 60_000));
      log.warn({ userId, domain: server.domain, err: summarize(err) }, 'double puppet login failed: sent as the ghost');
      return undefined;
    }
    return new DoublePuppet(userId, (op) => this.run(userId, server, op));
  }

  /** Runs `op` with the user's session; once more with a new login when the token is no longer valid. */
  private async run<T>(userId: string, server: Server, op: (messages: Messages) => Promise<T>): Promise<T> {
    const live = await this.session(userId, server);
    try {
      return await op(live.messages);
    } catch (err) {
      if (!(err instanceof MatrixError && err.errcode === 'M_UNKNOWN_TOKEN')) throw err;
      this.options.logger.info({ userId }, 'double puppet token no longer valid: logging in again');
      if (this.live.get(userId) === live) this.live.delete(userId);
      // Another process on the store (cluster mode) may have logged in anew already: its
      // session is used, not deleted; only the token that failed goes.
      const stored = await this.sessions.get(userId, server.secret);
      if (stored?.accessToken === live.session.accessToken) await this.sessions.delete(userId);
      return op((await this.session(userId, server)).messages);
    }
  }

  /** The live session: in memory, else from the store, else a new login (one at a time per user). */
  private session(userId: string, server: Server): Promise<Live> {
    const known = this.live.get(userId);
    if (known) return Promise.resolve(known);
    let pending = this.logins.get(userId);
    if (!pending) {
      pending = (async () => {
        const session = await this.sessions.get(userId, server.secret) ?? await this.login(userId, server);
        const live = { session, messages: this.messagesFor(userId, server, session) };
        this.live.set(userId, live);
        return live;
      })().finally(() => this.logins.delete(userId));
      this.logins.set(userId, pending);
    }
    return pending;
  }

  private async login(userId: string, server: Server): Promise<DoublePuppetSession> {
    const client = new HomeserverClient({
      baseUrl: server.url, asToken: server.secret.slice('as_token:'.length), botUserId: userId, userToken: true, logger: this.options.logger,
    });
    const session = await client.request('POST', route('/_matrix/client/v3/login'), {
      body: {
        type: 'm.login.application_service',
        identifier: { type: 'm.id.user', user: userId },
        initial_device_display_name: `${this.options.source} (bridgekit double puppet)`,
      },
      parse: (body): DoublePuppetSession => {
        const obj = requireObject(body, 'response');
        const deviceId = obj['device_id'];
        return { accessToken: requireString(obj, 'access_token', 'response'), ...(typeof deviceId === 'string' ? { deviceId } : {}) };
      },
    });
    await this.sessions.set(userId, server.secret, session);
    this.options.logger.info({ userId, deviceId: session.deviceId }, 'double puppet logged in');
    return session;
  }

  private messagesFor(userId: string, server: Server, session: DoublePuppetSession): Messages {
    const api = new HomeserverApi({
      baseUrl: server.url, asToken: session.accessToken, botUserId: userId, userToken: true,
      appserviceId: this.options.source, store: this.options.store, logger: this.options.logger,
    });
    return this.options.puppets.messagesAs(userId, api, { [DOUBLE_PUPPET_MARKER]: this.options.source });
  }

  private server(userId: string): Server | undefined {
    const colon = userId.indexOf(':');
    if (!userId.startsWith('@') || colon < 2) return undefined;
    const domain = userId.slice(colon + 1);
    const secret = this.options.secrets[domain];
    if (secret === undefined) return undefined;
    const url = domain === this.options.ownDomain ? this.options.ownUrl : this.options.servers[domain];
    if (url === undefined) {
      if (!this.unreachable.has(domain)) this.options.logger.warn({ domain }, 'a double-puppet secret but no URL for this homeserver (doublePuppet.servers): sent as the ghost');
      this.unreachable.add(domain);
      return undefined;
    }
    return { domain, url, secret };
  }
}

function summarize(err: unknown): Record<string, unknown> {
  if (err instanceof MatrixError) return { status: err.status, errcode: err.errcode };
  return { type: err instanceof Error ? err.name : typeof err };
}
