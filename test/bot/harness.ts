import type { JsonObject, RoomEvent } from '../../src/events/types.js';
import { DeadLetters } from '../../src/inbox/index.js';
import type { Logger } from '../../src/log/logger.js';
import type { BridgePlugin } from '../../src/plugin/contract.js';
import type { Registration } from '../../src/registration/index.js';
import type { RunningBridge } from '../../src/runtime/bridge.js';
import { TestBridge, waitUntil, type TestBridgeOptions, type TestHomeserver, type TestUser } from '../../src/testing/index.js';

export const BOT = '@echobot:localhost';

export interface BotHarnessOptions {
  readonly admins?: string[];
  /** Config `permissions`. */
  readonly permissions?: Record<string, 'none' | 'relay' | 'user' | 'admin'>;
  /** Config `logins` (the credentials' key). */
  readonly logins?: { readonly encryptionKey?: string; readonly encryptionKeyFile?: string };
  readonly invites?: { readonly users?: string[]; readonly servers?: string[] };
  readonly prefix?: string;
  /** The plugin's `bridge.config` section. */
  readonly pluginConfig?: Record<string, unknown>;
  /** Where the bridge logs (default: nowhere). */
  readonly logger?: Logger;
  /** Let remote avatars come from loopback (the test's own servers); default: refused, as in production. */
  readonly allowPrivateTargets?: boolean;
  /** `bridge.publicUrl`: turns the media link proxy on. */
  readonly publicUrl?: string;
  /** More config sections (provisioning, metrics …), laid over the harness's own. */
  readonly config?: TestBridgeOptions['config'];
}

/**
 * A test homeserver and a real bridge (`startBridge`) running `plugin`, talking over
 * sockets: the homeserver pushes transactions to the bridge's endpoint, the bridge calls
 * the homeserver's client-server API.
 */
export class BotHarness {
  private constructor(private readonly t: TestBridge) {}

  get hs(): TestHomeserver { return this.t.hs; }
  get bridge(): RunningBridge { return this.t.bridge; }
  get registration(): Registration { return this.t.registration; }

  static async start(plugin: BridgePlugin<unknown>, options: BotHarnessOptions = {}): Promise<BotHarness> {
    const t = await TestBridge.start(plugin, {
      config: {
        appservice: { id: 'echo-test', bot: 'echobot', prefix: '_echo_' },
        bot: { ...(options.prefix !== undefined ? { prefix: options.prefix } : {}), invites: options.invites ?? {}, admins: options.admins ?? [] },
        ...(options.permissions ? { permissions: options.permissions } : {}),
        ...(options.logins ? { logins: options.logins } : {}),
        ...(options.allowPrivateTargets ? { outbound: { allowPrivateTargets: true } } : {}),
        ...(options.publicUrl ? { bridge: { publicUrl: options.publicUrl } } : {}),
        ...options.config,
      },
      ...(options.pluginConfig ? { pluginConfig: options.pluginConfig } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return new BotHarness(t);
  }

  /** A normal user, registered once per localpart. */
  user(localpart: string): Promise<TestUser> {
    return this.t.user(localpart);
  }

  /** A room made by `creator` with the bot invited and joined (and the mirror holding its state). */
  async roomWithBot(creator: TestUser, body: Parameters<TestUser['client']['createRoom']>[0] = {}): Promise<string> {
    const roomId = await creator.client.createRoom(body);
    await creator.client.invite(roomId, BOT);
    await this.waitForMembership(roomId, BOT, 'join');
    await waitUntil(async () => (await this.bridge.mirror.room(roomId))?.hydrated, 5_000, 'the mirror to hold the room');
    return roomId;
  }

  waitForMembership(roomId: string, userId: string, membership: string): Promise<unknown> {
    return waitUntil(() => this.hs.memberships(roomId)[userId] === membership, 5_000, `${userId} to be ${membership} in ${roomId}`);
  }

  /** Sends a text message as `user`, with HTML when given; returns its event id. */
  send(user: TestUser, roomId: string, body: string, html?: string): Promise<string> {
    const content: JsonObject = { msgtype: 'm.text', body };
    if (html !== undefined) Object.assign(content, { format: 'org.matrix.custom.html', formatted_body: html });
    return user.client.sendEvent(roomId, 'm.room.message', content);
  }

  /** Sends an emote as `user`; returns its event id. */
  sendEmote(user: TestUser, roomId: string, body: string): Promise<string> {
    return user.client.sendEvent(roomId, 'm.room.message', { msgtype: 'm.emote', body });
  }

  /** The bot's first answer to a command. */
  reply(roomId: string, commandId: string, timeoutMs = 5_000): Promise<RoomEvent> {
    return this.hs.waitForEvent(roomId, (e) => e.sender === BOT && inReplyTo(e) === commandId, timeoutMs);
  }

  /** Sends a command and waits for the bot's answer. */
  async ask(user: TestUser, roomId: string, body: string, html?: string): Promise<RoomEvent> {
    return this.reply(roomId, await this.send(user, roomId, body, html));
  }

  /** Every answer of the bot to a command, as the homeserver has them. */
  replies(roomId: string, commandId: string): RoomEvent[] {
    return this.hs.events(roomId).filter((e) => e.sender === BOT && inReplyTo(e) === commandId);
  }

  /** Waits until every pushed event was acknowledged and handled. */
  async settle(): Promise<void> {
    await this.hs.waitForPushIdle(5_000);
    await this.bridge.inbox.drained();
  }

  deadLetters(): Promise<number> {
    return new DeadLetters(this.bridge.store).count();
  }

  /** Stops the bridge and starts a new one on the same store. */
  restart(): Promise<void> {
    return this.t.restartBridge();
  }

  stop(): Promise<void> {
    return this.t.stop();
  }
}

export function inReplyTo(event: RoomEvent): string | undefined {
  const relation = event.content['m.relates_to'];
  if (typeof relation !== 'object' || relation === null || Array.isArray(relation)) return undefined;
  const reply = (relation as JsonObject)['m.in_reply_to'];
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) return undefined;
  const id = (reply as JsonObject)['event_id'];
  return typeof id === 'string' ? id : undefined;
}

/** The body of an event's content. */
export function bodyOf(event: RoomEvent): string {
  const body = event.content['body'];
  return typeof body === 'string' ? body : '';
}
