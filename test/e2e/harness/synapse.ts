import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestClient, TestClientError } from '../../../src/testing/index.js';
import { readRegistrations, writeRegistrations, type E2eAppservice } from './appservices.js';
import type { E2eEnv } from './env.js';
import { E2eUser } from './users.js';
import { eventually } from './wait.js';

const run = promisify(execFile);

/** Distinguishes this run's users from earlier runs' on the same homeserver. */
const RUN_ID = Date.now().toString(36);

/**
 * The homeserver under test, driven as its operator would: admin API for users and rate
 * limits, the ../shared/synapse scripts (or your restart command) for restarts and
 * appservice registration.
 */
export class Synapse {
  private userCount = 0;

  private constructor(readonly env: E2eEnv, readonly admin: TestClient, readonly serverName: string) {}

  get url(): string { return this.env.hsUrl; }

  /** Checks the homeserver answers and the admin token is an admin's. */
  static async connect(env: E2eEnv): Promise<Synapse> {
    const admin = new TestClient(env.hsUrl, env.adminToken);
    let adminId: string;
    try {
      adminId = await admin.whoami();
    } catch (err) {
      throw new Error(`the homeserver at ${env.hsUrl} did not accept BRIDGEKIT_E2E_ADMIN_TOKEN: ${(err as Error).message}`);
    }
    try {
      await admin.request('GET', `/_synapse/admin/v2/users/${encodeURIComponent(adminId)}`);
    } catch (err) {
      throw new Error(`${adminId} is not a server admin of ${env.hsUrl} (the admin API answered ${(err as Error).message})`);
    }
    return new Synapse(env, admin, adminId.slice(adminId.indexOf(':') + 1));
  }

  /**
   * The tier's appservices, registered with the homeserver: through register-appservice.sh
   * when a Synapse home is given (it restarts Synapse only for a registration that changed),
   * else read from the folder the user installed them from.
   */
  async prepareAppservices(): Promise<E2eAppservice[]> {
    const { synapseHome, registrationsDir, portBase } = this.env;
    if (!synapseHome) return readRegistrations(registrationsDir!, portBase, this.serverName);
    const appservices = await writeRegistrations(join(synapseHome, 'bridgekit-e2e'), portBase, this.serverName);
    for (const appservice of appservices) {
      await this.script('register-appservice.sh', synapseHome, appservice.path);
    }
    await this.waitUntilUp();
    return appservices;
  }

  /** Restarts the homeserver (its appservice txnIds start again at 1) and waits until it answers. */
  async restart(): Promise<void> {
    const { synapseHome, restartCommand } = this.env;
    if (synapseHome) {
      await this.script('stop.sh', synapseHome);
      await this.script('start.sh', synapseHome);
    } else {
      await run('sh', ['-c', restartCommand!], { timeout: 180_000 });
    }
    await this.waitUntilUp();
  }

  /**
   * Makes sure Synapse counts the appservice as up, so that it pushes to-device messages and
   * device data: while it counts one as down (from a failed push — e.g. an earlier test's
   * bridge stopped — until its recoverer caught up, at growing intervals up to 8.5 min) it
   * drops them (synapse/appservice/scheduler.py, `_TransactionController.send`: "ephemeral
   * events are dropped"), and a room key lost that way is never sent again. Call it once
   * the bridge listens: a down appservice is brought back by a restart, whose recoverer
   * retries 2 s after the next event. Only with a Synapse home (the state is read from its database).
   */
  async ensureAppserviceUp(appservice: E2eAppservice): Promise<void> {
    const id = appservice.registration.id;
    if (!this.env.synapseHome) return;
    if (!await this.appserviceDown(id)) return;
    await this.restart();
    // Synapse starts its appservice scheduler, and with it the recoverers, on the first new event: one is made.
    await new TestClient(this.url, appservice.registration.as_token).createRoom({ name: 'bridgekit e2e: wake the appservice scheduler' });
    await eventually(async () => !await this.appserviceDown(id), `Synapse to count ${id} as up again`, 60_000);
  }

  private async appserviceDown(appserviceId: string): Promise<boolean> {
    const home = this.env.synapseHome!;
    const query = 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute("select state from application_services_state where as_id=?",(sys.argv[2],)).fetchone(); print(r[0] if r and r[0] else "up")';
    const { stdout } = await run(join(home, 'env', 'bin', 'python'), ['-c', query, join(home, 'homeserver.db'), appserviceId]);
    return stdout.trim() === 'down';
  }

  /** Waits until the client API answers again (after a restart). */
  async waitUntilUp(timeoutMs = 60_000): Promise<void> {
    await eventually(async () => {
      try {
        return Boolean(await this.admin.whoami());
      } catch {
        return false;
      }
    }, `${this.url} to answer`, timeoutMs);
  }

  /**
   * A new user for one test: made with the admin API (PUT /_synapse/admin/v2/users),
   * logged in through it, and exempt from rate limits (a homeserver of your own has them on).
   * Names get a per-run, per-call suffix so tests never share a user.
   */
  async createUser(name: string, options: { displayName?: string; rateLimited?: boolean } = {}): Promise<E2eUser> {
    this.userCount += 1;
    const localpart = `u${RUN_ID}_${this.userCount}_${name.toLowerCase().replace(/[^a-z0-9._=-]/g, '')}`;
    const userId = `@${localpart}:${this.serverName}`;
    const path = `/_synapse/admin/v2/users/${encodeURIComponent(userId)}`;
    await this.admin.request('PUT', path, { password: `pw-${localpart}`, displayname: options.displayName ?? name, admin: false });
    const login = await this.admin.request<{ access_token: string }>('POST', `/_synapse/admin/v1/users/${encodeURIComponent(userId)}/login`, {});
    if (options.rateLimited !== true) await this.overrideRateLimit(userId, 0, 0);
    return new E2eUser(userId, name, new TestClient(this.url, login.access_token));
  }

  /**
   * Sets a user's message rate limit (admin API, no restart; whole numbers only, so at
   * least one message a second). 0/0 turns limiting off for them. For an appservice, the user is its sender (`sender_localpart`): Synapse counts
   * everything the appservice sends against it.
   */
  async overrideRateLimit(userId: string, messagesPerSecond: number, burstCount: number): Promise<void> {
    await this.admin.request('POST', this.rateLimitPath(userId), { messages_per_second: messagesPerSecond, burst_count: burstCount });
  }

  /** Back to the homeserver's configured limits for this user. */
  async clearRateLimitOverride(userId: string): Promise<void> {
    try {
      await this.admin.request('DELETE', this.rateLimitPath(userId));
    } catch (err) {
      if (!(err instanceof TestClientError && err.status === 404)) throw err;
    }
  }

  private rateLimitPath(userId: string): string {
    return `/_synapse/admin/v1/users/${encodeURIComponent(userId)}/override_ratelimit`;
  }

  private async script(name: string, ...args: string[]): Promise<void> {
    try {
      await run('bash', [join(this.env.synapseScripts, name), ...args], { timeout: 180_000 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${name} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  }
}
