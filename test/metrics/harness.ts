import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { validateConfig, type BridgeConfig, type BridgeConfigInput } from '../../src/config/index.js';
import type { RoomEvent } from '../../src/events/types.js';
import { silentLogger } from '../../src/log/logger.js';
import type { BridgePlugin } from '../../src/plugin/contract.js';
import { buildRegistration, writeRegistration, type Registration } from '../../src/registration/index.js';
import { startBridge, type RunningBridge } from '../../src/runtime/bridge.js';
import { TestHomeserver } from '../../src/testing/index.js';
import { freePort } from '../helpers/net.js';
import { tempDir } from '../helpers/temp.js';

export const BOT = '@opsbot:localhost';

/** A promise the test opens when it wants blocked handlers to go on. */
export class Gate {
  private open!: () => void;
  readonly opened = new Promise<void>((resolve) => { this.open = resolve; });
  release(): void { this.open(); }
}

/**
 * A plugin for operations tests: custom events with `fail: true` always fail, with
 * `block: true` wait for the gate; everything else is handled at once.
 */
export function opsPlugin(gate: Gate): BridgePlugin<unknown> {
  return {
    name: 'opstest',
    capabilities: { messages: true },
    async start() {},
    async onOtherEvent(event: RoomEvent) {
      if (event.content['fail'] === true) throw new Error('told to fail');
      if (event.content['block'] === true) await gate.opened;
    },
  };
}

export interface OpsHarnessOptions {
  /** Turn the metrics listener on (port 0). */
  readonly metrics?: boolean;
  readonly readyCacheMs?: number;
  /** Where the store goes (default `data` in the harness's folder). */
  readonly storePath?: string;
}

/**
 * A TestHomeserver and a config (written to config.yaml, with registration.yaml next to
 * it) whose appservice port is fixed, so that the registration's url is right both for
 * an in-process bridge and for CLI commands that listen on that port themselves.
 */
export class OpsHarness {
  readonly gate = new Gate();
  bridge: RunningBridge | undefined;

  private constructor(
    readonly hs: TestHomeserver,
    readonly config: BridgeConfig,
    readonly registration: Registration,
    readonly dir: { path: string; cleanup: () => Promise<void> },
    private readonly options: OpsHarnessOptions,
  ) {}

  get configPath(): string {
    return join(this.dir.path, 'config.yaml');
  }

  static async start(options: OpsHarnessOptions = {}): Promise<OpsHarness> {
    const dir = await tempDir('bridgekit-ops-');
    const port = await freePort();
    const raw = (homeserverUrl: string): BridgeConfigInput => ({
      homeserver: { url: homeserverUrl, domain: 'localhost' },
      appservice: {
        id: 'ops-test', url: `http://127.0.0.1:${port}`, bind: '127.0.0.1', port,
        registration: 'registration.yaml', bot: 'opsbot', prefix: '_ops_',
      },
      store: { path: options.storePath ?? 'data' },
      bridge: { plugin: 'echo' },
      inbox: { retryBaseMs: 10, retryMaxMs: 20, maxAttempts: 2 },
      ...(options.metrics ? { metrics: { enabled: true, port: 0 } } : {}),
      logging: { level: 'silent' },
    });
    const registration = buildRegistration(validateConfig(raw('http://127.0.0.1:1'), 'test', dir.path));
    const hs = await TestHomeserver.start({ appservice: registration, retryBaseMs: 20, retryMaxMs: 200, pushTimeoutMs: 5_000, queryTimeoutMs: 5_000 });
    const input = raw(hs.url);
    await writeFile(join(dir.path, 'config.yaml'), stringify(input));
    await writeRegistration(join(dir.path, 'registration.yaml'), registration, true);
    return new OpsHarness(hs, validateConfig(input, 'test', dir.path), registration, dir, options);
  }

  async startBridge(logger = silentLogger()): Promise<RunningBridge> {
    this.bridge = await startBridge({
      config: this.config, plugin: opsPlugin(this.gate), registration: this.registration, logger,
      ...(this.options.readyCacheMs !== undefined ? { readyCacheMs: this.options.readyCacheMs } : {}),
    });
    return this.bridge;
  }

  async stopBridge(): Promise<void> {
    await this.bridge?.stop();
    this.bridge = undefined;
  }

  /** Replaces registration.yaml (the homeserver keeps the registration it started with). */
  async writeRegistration(changes: Partial<Registration>): Promise<void> {
    await writeRegistration(join(this.dir.path, 'registration.yaml'), { ...this.registration, ...changes }, true);
  }

  /** PUTs a transaction to the bridge as the homeserver would; returns the HTTP status. */
  async push(txnId: string, body: Record<string, unknown>): Promise<number> {
    const res = await fetch(`${this.bridge!.url}/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${this.registration.hs_token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.text();
    return res.status;
  }

  async stop(): Promise<void> {
    this.gate.release();
    await this.stopBridge();
    await this.hs.stop();
    await this.dir.cleanup();
  }
}

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `bridgekit …` in a child process without blocking this one: the test homeserver
 * and bridge live here and must keep answering while the command runs.
 */
export function bridgekit(args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The sum of the samples of `name` whose labels include `labels` (0 when none), from Prometheus text. */
export function total(text: string, name: string, labels: Record<string, string> = {}): number {
  return samples(text, name, labels).reduce((a, b) => a + b, 0);
}

/** Every sample of `name` whose labels include `labels`. */
export function samples(text: string, name: string, labels: Record<string, string> = {}): number[] {
  const values: number[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = new Map<string, string>();
    for (const pair of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) found.set(pair[1]!, pair[2]!);
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) values.push(Number(match[4]));
  }
  return values;
}
