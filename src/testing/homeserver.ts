import type Koa from 'koa';
import type { RoomEvent, StateEvent } from '../events/types.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { Registration } from '../registration/index.js';
import type { TransactionAttempt, EphemeralKey } from './appservice-pusher.js';
import { HomeserverCore } from './core.js';
import type { DelayFault, ErrorFault, RateLimitFault, RequestRecord } from './faults.js';
import { toClientEvent } from './event-format.js';
import { isValidLocalpart } from './ids.js';
import { OPENID_LIFETIME_MS } from './openid.js';
import type { Membership } from './room.js';
import { mirrorAuthorizer } from './room-auth.js';
import { buildApp, Listener } from './server.js';
import { TestClient } from './test-client.js';
import { waitUntil } from './wait.js';
import type { PresenceValue } from './users.js';

export interface TestHomeserverOptions {
  /** Default `localhost`. */
  readonly serverName?: string;
  /** The appservice to push to; its bot user is created at start. */
  readonly appservice?: Registration;
  /**
   * More appservices, known by their tokens only (nothing is pushed to them): e.g. the one
   * an operator registers for double puppeting, with `url: null` and a non-exclusive user
   * namespace over real users (`@.*:localhost`).
   */
  readonly tokenOnlyAppservices?: readonly Registration[];
  /** Port on 127.0.0.1; default 0 (any free port). Kept across `restart()`. */
  readonly port?: number;
  /** Room version for `createRoom` without one; default "10" like Synapse 1.94. */
  readonly defaultRoomVersion?: '10' | '11' | '12';
  /** How long a transaction may go unanswered (Synapse: 60 000 ms). */
  readonly pushTimeoutMs?: number;
  /** First retry delay of a failed transaction, doubling (Synapse: 2 000 ms). */
  readonly retryBaseMs?: number;
  /** Cap on the retry delay (Synapse: 512 000 ms). */
  readonly retryMaxMs?: number;
  /** Key for EDUs in transactions: `unstable` (Synapse 1.94, default), `stable` or `both`. */
  readonly ephemeralKey?: EphemeralKey;
  /** Timeout for ping and user/alias queries to the appservice; default 10 000 ms. */
  readonly queryTimeoutMs?: number;
  /** Longest typing notification; default 30 000 ms. */
  readonly typingTimeoutMs?: number;
  /**
   * Whether the unauthenticated `/_matrix/media/v3/download` still serves media (default
   * true, as Synapse 1.94). False: 404, as homeservers that require authenticated media do.
   */
  readonly legacyMedia?: boolean;
  /** How long an OpenID token (`/user/{userId}/openid/request_token`) is valid; default one hour, as Synapse. */
  readonly openIdTokenLifetimeMs?: number;
  readonly logger?: Logger;
}

export interface TestUser {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
  readonly client: TestClient;
}

export interface RestartOptions {
  /** Start txnIds at 1 again, as Synapse on SQLite does (default true). */
  readonly resetTxnIds?: boolean;
  /** How long the server stays down. */
  readonly downtimeMs?: number;
}

/**
 * An in-process Matrix homeserver on a real loopback socket, for testing bridges:
 * the client-server subset bridges use, the auth rules of room versions 10–12, and
 * appservice transactions pushed the way Synapse 1.94 pushes them.
 */
export class TestHomeserver {
  private constructor(private readonly core: HomeserverCore, private readonly app: Koa, private listener: Listener) {}

  static async start(options: TestHomeserverOptions = {}): Promise<TestHomeserver> {
    const core = new HomeserverCore({
      serverName: options.serverName ?? 'localhost',
      defaultRoomVersion: options.defaultRoomVersion ?? '10',
      queryTimeoutMs: options.queryTimeoutMs ?? 10_000,
      typingTimeoutMs: options.typingTimeoutMs ?? 30_000,
      legacyMedia: options.legacyMedia ?? true,
      openIdTokenLifetimeMs: options.openIdTokenLifetimeMs ?? OPENID_LIFETIME_MS,
      push: {
        timeoutMs: options.pushTimeoutMs ?? 60_000,
        retryBaseMs: options.retryBaseMs ?? 2_000,
        retryMaxMs: options.retryMaxMs ?? 512_000,
        ephemeralKey: options.ephemeralKey ?? 'unstable',
      },
    }, mirrorAuthorizer, options.appservice, options.logger ?? silentLogger(), options.tokenOnlyAppservices ?? []);
    const app = buildApp(core);
    const listener = await Listener.start(app, options.port ?? 0);
    return new TestHomeserver(core, app, listener);
  }

  get url(): string {
    return `http://127.0.0.1:${this.listener.port}`;
  }

  get serverName(): string {
    return this.core.serverName;
  }

  /**
   * Creates a normal (non-appservice) user and logs it in. Refused, like on Synapse,
   * inside the appservice's exclusive user namespaces: the bridge registers those.
   */
  async registerUser(localpart: string): Promise<TestUser> {
    if (!isValidLocalpart(localpart)) throw new Error(`invalid localpart ${localpart}`);
    const userId = this.core.users.userIdFor(localpart);
    if (this.core.appservice?.scope.ownsUserExclusively(userId)) throw new Error(`M_EXCLUSIVE: ${userId} is in the appservice's exclusive namespace`);
    this.core.users.register(localpart, false);
    const session = this.core.users.login(userId);
    return { userId, accessToken: session.accessToken, deviceId: session.deviceId, client: new TestClient(this.url, session.accessToken) };
  }

  /** Ends a session, as its `POST /logout` would: the token is unknown from now on. */
  logout(accessToken: string): boolean {
    return this.core.users.logout(accessToken);
  }

  /** The access tokens of `userId`'s sessions (logins), oldest first. */
  sessionsOf(userId: string): string[] {
    return this.core.users.sessionsOf(userId);
  }

  /** A client with the appservice's `as_token`, acting as `userId` (default: the bot). */
  appserviceClient(userId?: string): TestClient {
    const link = this.core.appservice;
    if (!link) throw new Error('no appservice registered');
    return new TestClient(this.url, link.registration.as_token, userId);
  }

  /** Room IDs, oldest first. */
  rooms(): string[] {
    return this.core.rooms.all().map((room) => room.roomId);
  }

  /** The room's timeline as clients see it now (redactions applied). */
  events(roomId: string): RoomEvent[] {
    const room = this.core.rooms.require(roomId);
    return room.events().flatMap((event) => {
      const stored = room.stored(event.event_id);
      return stored ? [toClientEvent(stored)] : [];
    });
  }

  state(roomId: string): StateEvent[] {
    return this.core.rooms.require(roomId).stateEvents();
  }

  stateEvent(roomId: string, type: string, stateKey = ''): StateEvent | undefined {
    return this.core.rooms.require(roomId).stateEvent(type, stateKey);
  }

  /** userId → membership for everyone with a member event. */
  memberships(roomId: string): Record<string, Membership> {
    return Object.fromEntries(this.core.rooms.require(roomId).memberships());
  }

  roomVersion(roomId: string): string {
    return this.core.rooms.require(roomId).version;
  }

  resolveAlias(alias: string): string | undefined {
    return this.core.directory.resolve(alias);
  }

  /** Profile and presence of a local user, or undefined. */
  user(userId: string): { displayname?: string; avatarUrl?: string; presence: PresenceValue; statusMsg?: string } | undefined {
    const user = this.core.users.get(userId);
    if (!user) return undefined;
    return {
      ...(user.displayname !== undefined ? { displayname: user.displayname } : {}),
      ...(user.avatarUrl !== undefined ? { avatarUrl: user.avatarUrl } : {}),
      presence: user.presence.presence,
      ...(user.presence.statusMsg !== undefined ? { statusMsg: user.presence.statusMsg } : {}),
    };
  }

  /** Users typing in the room now. */
  typing(roomId: string): string[] {
    return [...this.core.rooms.require(roomId).typing.keys()];
  }

  /** Resolves with the first event in the room (already there or yet to come) matching `predicate`. */
  async waitForEvent(roomId: string, predicate: (event: RoomEvent) => boolean, timeoutMs = 5_000): Promise<RoomEvent> {
    return waitUntil(() => {
      const room = this.core.rooms.get(roomId);
      return room?.events().find(predicate);
    }, timeoutMs, `an event in ${roomId}`);
  }

  /** Every transaction PUT so far, retries included, with the appservice's answers. */
  get transactionsSent(): readonly TransactionAttempt[] {
    return this.core.appservice?.pusher.attempts ?? [];
  }

  async waitForTransaction(predicate: (attempt: TransactionAttempt) => boolean, timeoutMs = 5_000): Promise<TransactionAttempt> {
    return waitUntil(() => this.transactionsSent.find(predicate), timeoutMs, 'a transaction');
  }

  /** Resolves once every queued event has been acknowledged by the appservice. */
  async waitForPushIdle(timeoutMs = 5_000): Promise<void> {
    const pusher = this.core.appservice?.pusher;
    if (!pusher) return;
    // Two checks a tick apart: a flush is scheduled with setImmediate after enqueueing.
    await waitUntil(async () => pusher.idle && (await new Promise((r) => setImmediate(r)), pusher.idle), timeoutMs, 'the push queue to drain');
  }

  /** Every HTTP request the server answered, with its final status. */
  get requests(): readonly RequestRecord[] {
    return this.core.faults.requests;
  }

  /** The next `count` requests matching `path` get HTTP 429 M_LIMIT_EXCEEDED. */
  rateLimitNext(fault: RateLimitFault): void {
    this.core.faults.rateLimit(fault);
  }

  /** The next `count` requests matching `path` get an error (default 500 M_UNKNOWN). */
  failNext(fault: ErrorFault): void {
    this.core.faults.fail(fault);
  }

  /** The next `count` requests matching `path` are answered `delayMs` late. */
  delayNext(fault: DelayFault): void {
    this.core.faults.delay(fault);
  }

  clearFaults(): void {
    this.core.faults.clear();
  }

  /**
   * Simulates a homeserver restart: the socket closes (in-flight requests are cut),
   * EDUs and typing are lost, rooms, users and unacknowledged transactions survive, and
   * the server listens again on the same port.
   */
  async restart(options: RestartOptions = {}): Promise<void> {
    await this.shutDown();
    if (options.downtimeMs) await new Promise((resolve) => setTimeout(resolve, options.downtimeMs));
    this.listener = await Listener.start(this.app, this.listener.port);
    this.core.appservice?.pusher.resume(options.resetTxnIds ?? true);
  }

  async stop(): Promise<void> {
    await this.shutDown();
  }

  private async shutDown(): Promise<void> {
    this.core.appservice?.pusher.pause();
    this.core.appservice?.api.abortAll();
    this.core.ephemeral.stop();
    for (const room of this.core.rooms.all()) room.typing.clear();
    await this.listener.close();
  }
}
