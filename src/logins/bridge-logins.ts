/**
 * The login parts of one bridge, made together by `startBridge` when the plugin declares
 * `logins`: the key and the store, the service, the bot's commands and conversation, the
 * relays, and the gate that hands each event its sender's logins or relay.
 */
import type { BotCommand } from '../bot/command.js';
import type { Logger } from '../log/logger.js';
import type { PermissionCheck } from '../permissions/index.js';
import type { Puppet } from '../puppets/index.js';
import { Sections, type Store } from '../store/index.js';
import { BotLogin } from './bot-login.js';
import { loginCommands } from './commands.js';
import type { LoginSupport } from './contract.js';
import { CredentialsKey } from './credentials-key.js';
import { LoginManager } from './login-manager.js';
import { LoginStore } from './login-store.js';
import { PortalRelays } from './relay.js';
import { SenderGate } from './sender-gate.js';
import type { RoomOwnership } from '../cluster/room-caches.js';

export interface BridgeLoginsOptions {
  readonly support: LoginSupport;
  /** The config's `logins` section. */
  readonly config: { readonly encryptionKey?: string | undefined; readonly encryptionKeyFile?: string | undefined; readonly stepTimeoutSeconds: number };
  readonly configDir?: string | undefined;
  readonly store: Store;
  readonly permissions: PermissionCheck;
  readonly bot: Pick<Puppet, 'sendNotice' | 'redact'>;
  readonly commandPrefix: string;
  readonly tellUser: (userId: string, text: string, key: string) => Promise<void>;
  readonly isPortal: (roomId: string) => Promise<boolean>;
  readonly logger: Logger;
  /** Which rooms this process holds (several processes, issue #21); default all. */
  readonly ownership?: RoomOwnership;
}

export class BridgeLogins {
  private following: { timer: NodeJS.Timeout; running: Promise<void> } | undefined;

  private constructor(
    readonly manager: LoginManager,
    readonly conversation: BotLogin,
    readonly commands: readonly BotCommand[],
    readonly senders: SenderGate,
    /** Relay mode per portal; its memory is a room cache (RoomCaches). */
    readonly relays: PortalRelays,
  ) {}

  /** Refuses (LoginKeyError) when stored logins cannot be opened with the configured key. */
  static async open(options: BridgeLoginsOptions): Promise<BridgeLogins> {
    const key = await CredentialsKey.fromConfig(options.config, options.configDir);
    const loginStore = await LoginStore.open(options.store.section(Sections.logins), key);
    if (!key) options.logger.warn('the plugin offers logins but logins.encryptionKey is not set: users cannot log in until it is');
    const manager = new LoginManager({
      support: options.support, store: loginStore, permissions: options.permissions, tellUser: options.tellUser,
      commandPrefix: options.commandPrefix, stepTimeoutMs: options.config.stepTimeoutSeconds * 1000, logger: options.logger,
    });
    const relays = new PortalRelays(options.store.section(Sections.relay), options.ownership);
    const conversation = new BotLogin({ service: manager, bot: options.bot, logger: options.logger });
    const commands = loginCommands({ service: manager, conversation, relays, isPortal: options.isPortal, prefix: options.commandPrefix });
    const senders = new SenderGate({ support: options.support, logins: manager, relays, permissions: options.permissions, commandPrefix: options.commandPrefix, isPortal: options.isPortal });
    return new BridgeLogins(manager, conversation, commands, senders, relays);
  }

  /**
   * Cluster mode: every `intervalMs`, takes up the logins other processes added or removed
   * (one read of the logins' version when nothing changed).
   */
  followOthers(intervalMs: number, logger: Logger): void {
    if (this.following) return;
    const following = { timer: setInterval(() => {
      following.running = following.running.then(() => this.manager.followOthers())
        .catch((err: unknown) => logger.warn({ err }, 'could not read the logins other processes changed; trying again'));
    }, intervalMs), running: Promise.resolve() };
    following.timer.unref();
    this.following = following;
  }

  async close(): Promise<void> {
    if (this.following) {
      clearInterval(this.following.timer);
      await this.following.running;
    }
    await this.conversation.close();
    await this.manager.close();
  }
}
