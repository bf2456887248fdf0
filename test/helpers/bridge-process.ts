/**
 * `bridgekit run` as a child process (the real CLI, dist/src/cli/main.js), one of several
 * on one PostgreSQL store: started with a config of its own (its listening port, the shared
 * store, registration and plugin), waited for until it listens, killed with SIGKILL or
 * stopped with SIGTERM, and started again on the same port. Its output is kept (the last
 * lines) to explain a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { validateConfig, type BridgeConfigInput } from '../../src/config/index.js';
import { buildRegistration, writeRegistration, type Registration } from '../../src/registration/index.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Everything the processes of one deployment share. */
export interface Deployment {
  /** A folder for the configs. */
  readonly dir: string;
  /** The homeserver's client-server API. */
  readonly homeserverUrl: string;
  /** Where the homeserver reaches the bridge (the balancer). */
  readonly publicUrl: string;
  readonly registrationPath: string;
  /** The `store` section: `{ url }` (PostgreSQL, shared) or `{ path }` (Level, one process). */
  readonly store: Readonly<Record<string, unknown>>;
  /** `bridge.plugin`: a path or a built-in name. */
  readonly plugin: string;
  /** The multi-process mode (its lease TTL, or the default); absent: today's one-process mode. */
  readonly cluster?: { readonly leaseTtlSeconds?: number; readonly pollSeconds?: number };
  /** `appservice.bot` and `appservice.prefix` (default `bot`, `_test_`). */
  readonly bot?: string;
  readonly prefix?: string;
  /** More config sections. */
  readonly config?: Partial<BridgeConfigInput>;
  /** `bridge.config`: the plugin's own section (default empty). */
  readonly pluginConfig?: Readonly<Record<string, unknown>>;
  readonly logLevel?: string;
}

/** The config of one process of `deployment`, listening on `port`. */
export function processConfig(deployment: Deployment, port: number): Record<string, unknown> {
  const extra = deployment.config ?? {};
  return {
    ...extra,
    homeserver: { url: deployment.homeserverUrl, domain: 'localhost' },
    appservice: {
      id: 'cluster', url: deployment.publicUrl, bind: '127.0.0.1', port, registration: deployment.registrationPath,
      bot: deployment.bot ?? 'bot', prefix: deployment.prefix ?? '_test_',
    },
    store: deployment.store,
    bridge: { plugin: deployment.plugin, config: deployment.pluginConfig ?? {} },
    metrics: { enabled: false },
    // info: the start's last line ('bridge listening') says when SIGTERM is handled cleanly.
    logging: { level: deployment.logLevel ?? 'info' },
    ...(deployment.cluster ? { cluster: { enabled: true, ...deployment.cluster } } : {}),
  };
}

/** A new registration for `deployment` (its url the balancer), written to its registrationPath. */
export async function writeDeploymentRegistration(deployment: Deployment, overrides: Partial<Registration> = {}): Promise<Registration> {
  const registration = { ...buildRegistration(validateConfig(processConfig(deployment, 1), 'cluster', deployment.dir)), ...overrides };
  await writeRegistration(deployment.registrationPath, registration, true);
  return registration;
}

export class BridgeProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> = Promise.resolve(null);
  private output: string[] = [];
  /** How many times it was started; the plugin is told `<name>#<starts>` after the first. */
  starts = 0;

  private constructor(readonly name: string, readonly port: number, private readonly configPath: string) {}

  /** Writes the process's config; `start()` runs it. */
  static async create(deployment: Deployment, name: string, port: number): Promise<BridgeProcess> {
    const configPath = join(deployment.dir, `config-${name}.yaml`);
    await writeFile(configPath, stringify(processConfig(deployment, port)));
    return new BridgeProcess(name, port, configPath);
  }

  /** A process run with a config written by the test itself (`config` as bridgekit's YAML, listening on `port`). */
  static async withConfig(dir: string, name: string, port: number, config: Record<string, unknown>): Promise<BridgeProcess> {
    const configPath = join(dir, `config-${name}.yaml`);
    await writeFile(configPath, stringify(config));
    return new BridgeProcess(name, port, configPath);
  }

  /** Its JSON log lines (of the last lines kept), parsed. */
  get logLines(): Array<Record<string, unknown>> {
    const lines: Array<Record<string, unknown>> = [];
    for (const line of this.log.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line cut at the start of the kept output
      }
    }
    return lines;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What the plugin in the current run calls this process. */
  get runName(): string {
    return this.starts <= 1 ? this.name : `${this.name}#${this.starts}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last lines it wrote (stdout and stderr). */
  get log(): string {
    return this.output.join('');
  }

  /** Its warnings and errors among the last lines (JSON log lines at level 40 and above, and anything not JSON). */
  get warnings(): string[] {
    return this.log.split('\n').filter((line) => line.trim() !== '' && !/^\{"level":[123]0,/.test(line));
  }

  /**
   * Starts it and resolves once it has started (its log says 'bridge listening': from then on
   * a SIGTERM stops it cleanly); rejects (with its output) if it exits first or takes over `timeoutMs`.
   */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.starts++;
    this.output = [];
    const child = spawn(process.execPath, [CLI, 'run', '-c', this.configPath], {
      env: { ...process.env, BRIDGEKIT_TEST_PROCESS: this.runName }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let started = false;
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      started ||= `${this.output.at(-1) ?? ''}${text}`.includes('"msg":"bridge listening"'); // a line may come in two chunks
      this.output.push(text);
      if (this.output.length > 2_000) this.output.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + timeoutMs;
    while (!started || !(await listening(this.port))) {
      if (!this.running) throw new Error(`${this.runName} exited before listening (${child.exitCode ?? child.signalCode}):\n${this.log}`);
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`${this.runName} did not listen within ${timeoutMs} ms:\n${this.log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** kill -9, and waits until it is gone. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exit;
  }

  /** SIGTERM (a graceful stop), and its exit code; SIGKILL if it is not gone after `timeoutMs` (then the code is null). */
  async stop(timeoutMs = 20_000): Promise<number | null> {
    if (!this.running) return this.exit;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); }).on('error', () => resolve(false));
  });
}
