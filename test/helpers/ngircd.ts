/**
 * A real IRC server for tests: Debian's ngircd, on a free loopback port with a generated
 * configuration (no PAM, ident or DNS lookups, no flood penalties, long nicks), run in
 * the foreground and stopped with SIGTERM. `restart` brings it back on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './net.js';
import { tempDir } from './temp.js';

export const NGIRCD = '/usr/sbin/ngircd';

export function ngircdAvailable(): boolean {
  return existsSync(NGIRCD);
}

export interface NgircdOptions {
  readonly port?: number;
  /** Server name (must contain a dot). */
  readonly name?: string;
}

function config(port: number, name: string): string {
  return `[Global]
  Name = ${name}
  Info = bridgekit test server
  AdminInfo1 = bridgekit tests
  AdminInfo2 = loopback
  AdminEMail = tests@${name}
  Listen = 127.0.0.1
  Ports = ${port}
  MotdPhrase = "bridgekit test server"
[Limits]
  MaxNickLength = 30
  MaxConnections = 0
  MaxConnectionsIP = 0
  MaxJoins = 0
  MaxPenaltyTime = 0
  PingTimeout = 120
  PongTimeout = 20
[Options]
  DNS = no
  Ident = no
  PAM = no
  OperCanUseMode = yes
`;
}

export class Ngircd {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(readonly port: number, private readonly confPath: string, private readonly cleanupDir: () => Promise<void>) {}

  readonly host = '127.0.0.1';

  static async start(options: NgircdOptions = {}): Promise<Ngircd> {
    const dir = await tempDir('bridgekit-ngircd-');
    const port = options.port ?? await freePort();
    const confPath = join(dir.path, 'ngircd.conf');
    await writeFile(confPath, config(port, options.name ?? 'irc.test'), { mode: 0o644 });
    const server = new Ngircd(port, confPath, dir.cleanup);
    await server.launch();
    return server;
  }

  /** What the server printed (for failure messages). */
  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the process and resolves once it listens (it says so on stderr). */
  private launch(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(NGIRCD, ['-n', '-f', this.confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      this.output = ''; // "listening" must come from this process, not the last one
      let settled = false;
      const timer = setTimeout(() => finish(new Error(`ngircd did not start listening on ${this.port} within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const onData = (chunk: Buffer) => {
        this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
        if (this.output.includes(`Now listening on [127.0.0.1]:${this.port}`)) finish();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.on('error', (err) => finish(err));
      child.on('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        finish(new Error(`ngircd exited (${code ?? signal}) before listening:\n${this.output}`));
      });
    });
  }

  /** SIGTERM, and waits for the process to end (SIGKILL after 5 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
    this.child = undefined;
  }

  /** Stops, waits `downtimeMs`, starts again on the same port. */
  async restart(downtimeMs = 0): Promise<void> {
    await this.stop();
    if (downtimeMs > 0) await new Promise((r) => setTimeout(r, downtimeMs));
    await this.start();
  }

  /** Starts it again after `stop` (same port and configuration). */
  async start(): Promise<void> {
    if (!this.child) await this.launch();
  }

  async close(): Promise<void> {
    await this.stop();
    await this.cleanupDir();
  }
}
