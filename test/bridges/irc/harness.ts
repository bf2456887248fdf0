/**
 * The IRC bridge end to end: a real ngircd, the test homeserver, and a real bridge
 * (`TestBridge`) running the IRC plugin, which reaches the IRC server through a Gate.
 */
import type { JsonObject, RoomEvent } from '../../../src/events/types.js';
import { DeadLetters } from '../../../src/inbox/index.js';
import { createLogger } from '../../../src/log/logger.js';
import type { RunningBridge } from '../../../src/runtime/bridge.js';
import { TestBridge, waitUntil, type TestHomeserver, type TestUser } from '../../../src/testing/index.js';
import { createIrcPlugin } from '../../../bridges/irc/index.js';
import { Ngircd, ngircdAvailable } from '../../helpers/ngircd.js';
import { Gate } from './gate.js';
import { IrcPerson } from './irc-person.js';

export const BOT = '@ircbot:localhost';
export const BOT_NICK = 'matrixbridge';
export const ghost = (id: string): string => `@_irc_${id}:localhost`;
export const portalAlias = (channel: string): string => `#_irc_${channel.replace(/^#/, '')}:localhost`;

/** The key IRC test bridges seal logins with. */
export const IRC_LOGINS_KEY = 'irc-test-logins-key-0123456789abcdef';

export class IrcHarness {
  /** IRC people connected with `person`, quit on `stop`. */
  readonly people: IrcPerson[] = [];

  private constructor(readonly irc: Ngircd, readonly gate: Gate, private readonly t: TestBridge) {}

  get hs(): TestHomeserver { return this.t.hs; }
  get bridge(): RunningBridge { return this.t.bridge; }

  /** Stops the bridge and starts a new one on the same store (a bridge restart). */
  restartBridge(): Promise<void> {
    return this.t.restartBridge();
  }

  static async start(pluginConfig: Record<string, unknown> = {}, inbox: Record<string, number> = {}, permissions?: Record<string, 'none' | 'relay' | 'user' | 'admin'>): Promise<IrcHarness> {
    const irc = await Ngircd.start();
    let gate: Gate | undefined;
    try {
      gate = await Gate.open(irc.port);
      // IRC_TEST_LOG=debug shows what the bridge does.
      const level = process.env['IRC_TEST_LOG'];
      const t = await TestBridge.start(createIrcPlugin, {
        config: {
          appservice: { id: 'irc-test', bot: 'ircbot', prefix: '_irc_' },
          inbox: { retryBaseMs: 20, retryMaxMs: 200, maxAttempts: 4, ...inbox },
          logins: { encryptionKey: IRC_LOGINS_KEY },
          ...(permissions ? { permissions } : {}),
        },
        pluginConfig: {
          server: { host: '127.0.0.1', port: gate.port },
          flood: { burst: 5, intervalMs: 50 },
          reconnect: { baseMs: 200, maxMs: 1_000 },
          awayPollMs: 300,
          sendTimeoutMs: 15_000,
          mediaBaseUrl: 'https://matrix.example.org',
          ...pluginConfig,
        },
        homeserver: { pushTimeoutMs: 20_000, queryTimeoutMs: 15_000 },
        ...(level === 'debug' || level === 'info' || level === 'warn' ? { logger: createLogger({ level }) } : {}),
      });
      return new IrcHarness(irc, gate, t);
    } catch (err) {
      await gate?.shutdown();
      await irc.close(); // no stray ngircd when the rest cannot start
      throw err;
    }
  }

  user(localpart: string): Promise<TestUser> {
    return this.t.user(localpart);
  }

  /** A plain IRC user on the server (not through the gate). */
  async person(nick: string): Promise<IrcPerson> {
    const person = await IrcPerson.connect(this.irc.port, nick);
    this.people.push(person);
    return person;
  }

  /** `user` joins the channel's portal by its alias (the alias query creates it); returns the room id. */
  async joinPortal(user: TestUser, channel: string): Promise<string> {
    const roomId = await user.client.join(portalAlias(channel));
    await this.waitForMembership(roomId, user.userId, 'join');
    await waitUntil(async () => (await this.bridge.mirror.room(roomId))?.hydrated, 10_000, 'the mirror to hold the portal');
    return roomId;
  }

  waitForMembership(roomId: string, userId: string, membership: string, timeoutMs = 10_000): Promise<unknown> {
    return waitUntil(() => this.hs.memberships(roomId)[userId] === membership, timeoutMs, `${userId} to be ${membership} in ${roomId}`);
  }

  /** The first event in the room matching `predicate` (events already there count). */
  event(roomId: string, predicate: (e: RoomEvent) => boolean, timeoutMs = 10_000): Promise<RoomEvent> {
    return this.hs.waitForEvent(roomId, predicate, timeoutMs);
  }

  /** A message with this body from `sender`. */
  message(roomId: string, sender: string, body: string, timeoutMs = 10_000): Promise<RoomEvent> {
    return this.event(roomId, (e) => e.type === 'm.room.message' && e.sender === sender && e.content['body'] === body, timeoutMs);
  }

  send(user: TestUser, roomId: string, content: JsonObject): Promise<string> {
    return user.client.sendEvent(roomId, 'm.room.message', content);
  }

  text(user: TestUser, roomId: string, body: string, msgtype = 'm.text'): Promise<string> {
    return this.send(user, roomId, { msgtype, body });
  }

  deadLetters(): Promise<number> {
    return new DeadLetters(this.bridge.store).count();
  }

  async stop(): Promise<void> {
    for (const person of this.people) person.quit();
    await this.t.stop();
    await this.gate.shutdown();
    await this.irc.close();
  }
}

export function bodyOf(event: RoomEvent): string {
  const body = event.content['body'];
  return typeof body === 'string' ? body : '';
}

/**
 * Registers the suite's hooks: a harness (ngircd, test homeserver, bridge) and the Matrix
 * user alice are started before its tests and stopped after; `ready` receives them.
 */
export function withIrcHarness(ready: (h: IrcHarness, alice: TestUser) => void, pluginConfig: Record<string, unknown> = {}): void {
  let started: IrcHarness | undefined;
  before(async function () {
    if (!ngircdAvailable()) throw new Error('ngircd is not installed: run scripts/test-deps.sh (npm test does)');
    started = await IrcHarness.start(pluginConfig);
    ready(started, await started.user('alice'));
  });
  after(async () => started?.stop());
}
