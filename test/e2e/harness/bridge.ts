import type { LevelWithSilent } from 'pino';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig, type BridgeConfigInput } from '../../../src/config/index.js';
import { createLogger, type Logger } from '../../../src/log/logger.js';
import type { BridgePlugin } from '../../../src/plugin/contract.js';
import { startBridge, type RunningBridge } from '../../../src/runtime/bridge.js';
import type { CreateRoomOptions, TestBridgeOptions } from '../../../src/testing/index.js';
import type { E2eAppservice } from './appservices.js';
import type { Synapse } from './synapse.js';
import type { E2eUser } from './users.js';
import { eventually } from './wait.js';

/** One structured log line of the bridge under test. */
export interface LogRecord {
  readonly level: number;
  readonly msg?: string;
  readonly [key: string]: unknown;
}

/** pino's number for `warn`. */
export const WARN = 40;

export interface E2eBridgeOptions {
  /** Config sections to override, per key (as `TestBridge`'s). */
  readonly config?: TestBridgeOptions['config'];
  /** The plugin's `bridge.config` section. */
  readonly pluginConfig?: Record<string, unknown>;
  /**
   * Listen here instead of the appservice's registered port: for a test that puts
   * something (a `TransactionProxy`) between Synapse and the bridge.
   */
  readonly port?: number;
}

/**
 * A real bridge (`startBridge`, the composition `bridgekit run` uses) for one of the tier's
 * registered appservices, on the homeserver under test: Synapse pushes its transactions to
 * the registration's loopback port. Its store lives in a temp folder for the whole test,
 * so `restart()` is a process restart; every log line is kept in `logs` (and written to
 * BRIDGEKIT_E2E_LOG_DIR when set).
 */
export class E2eBridge {
  private constructor(
    /** Every log line of the bridge, from all its (re)starts, in order. */
    readonly logs: LogRecord[],
    readonly appservice: E2eAppservice,
    readonly botUserId: string,
    private running: RunningBridge,
    private readonly launch: () => Promise<RunningBridge>,
    private readonly dir: string,
    private readonly logFile: WriteStream | undefined,
  ) {}

  get bridge(): RunningBridge {
    return this.running;
  }

  /**
   * A room made by `creator` (through the client API) with the bot invited, joined, and the
   * bridge's mirror holding the room's full state.
   */
  async roomWithBot(creator: E2eUser, options: CreateRoomOptions = {}): Promise<string> {
    const roomId = await creator.client.createRoom(options);
    await creator.client.invite(roomId, this.botUserId);
    await creator.waitForMembership(roomId, this.botUserId, 'join');
    await eventually(async () => (await this.running.mirror.room(roomId))?.hydrated, `the bridge's mirror to hold ${roomId}`);
    return roomId;
  }

  /** Log lines at `warn` or above. */
  warnings(): LogRecord[] {
    return this.logs.filter((r) => r.level >= WARN);
  }

  /** Stops the bridge and starts it again on the same store (a process restart). */
  async restart(): Promise<void> {
    await this.running.stop();
    this.running = await this.launch();
  }

  /** Stops the bridge; it stays stopped until `start()`. Synapse queues meanwhile. */
  async stopOnly(): Promise<void> {
    await this.running.stop();
  }

  /** Starts it again after `stopOnly()`. */
  async start(): Promise<void> {
    this.running = await this.launch();
  }

  /** Stops the bridge (if running) and removes its store. */
  async stop(): Promise<void> {
    await this.running.stop().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
    this.logFile?.end();
  }

  /**
   * `plugin` may be a factory: each (re)start then gets a fresh instance, as a restarted
   * process would.
   */
  static async start(
    synapse: Synapse, appservice: E2eAppservice, plugin: BridgePlugin<unknown> | (() => BridgePlugin<unknown>), options: E2eBridgeOptions = {},
  ): Promise<E2eBridge> {
    const makePlugin = typeof plugin === 'function' ? plugin : () => plugin;
    const first = makePlugin();
    const dir = await mkdtemp(join(tmpdir(), `bridgekit-e2e-${appservice.name}-`));
    const o = options.config ?? {};
    const input: BridgeConfigInput = {
      ...o,
      homeserver: { url: synapse.url, domain: synapse.serverName, ...o.homeserver },
      appservice: {
        id: appservice.registration.id, url: appservice.registration.url, bind: '127.0.0.1', port: options.port ?? appservice.port,
        registration: appservice.path, bot: appservice.botLocalpart, prefix: appservice.prefix, ...o.appservice,
      },
      store: { path: join(dir, 'store'), ...o.store },
      bridge: { plugin: first.name, config: options.pluginConfig ?? {}, ...o.bridge },
      inbox: { retryBaseMs: 100, retryMaxMs: 1_000, maxAttempts: 4, ...o.inbox },
      logging: { level: 'debug', ...o.logging },
    } as BridgeConfigInput;
    const config = validateConfig(input, 'e2e', dir);
    const logs: LogRecord[] = [];
    const logFile = openLogFile(appservice.name);
    const logger = recordingLogger(config.logging.level, logs, logFile);
    let next: BridgePlugin<unknown> | undefined = first;
    const launch = async () => {
      const bridge = await startBridge({ config, registration: appservice.registration, plugin: next ?? makePlugin(), logger });
      next = undefined;
      return bridge;
    };
    try {
      const bridge = new E2eBridge(logs, appservice, `@${appservice.botLocalpart}:${synapse.serverName}`, await launch(), launch, dir, logFile);
      // Encryption needs every to-device message: Synapse drops them for an appservice it counts as down.
      // (Behind a proxy on the registered port, the test calls it once the proxy listens.)
      if (config.encryption.enabled && options.port === undefined) await synapse.ensureAppserviceUp(appservice);
      return bridge;
    } catch (e) {
      logFile?.end();
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }
}

/** A pino logger (with bridgekit's redaction) whose lines are parsed into `into`. */
function recordingLogger(level: LevelWithSilent, into: LogRecord[], file: WriteStream | undefined): Logger {
  return createLogger({ level, name: 'bridgekit-e2e' }, {
    write(line: string) {
      file?.write(line);
      try {
        into.push(JSON.parse(line) as LogRecord);
      } catch {
        into.push({ level: 50, msg: `unparsable log line: ${line}` });
      }
    },
  });
}

function openLogFile(name: string): WriteStream | undefined {
  const dir = process.env['BRIDGEKIT_E2E_LOG_DIR'];
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  return createWriteStream(join(dir, `bridge-${name}.log`), { flags: 'a' });
}
