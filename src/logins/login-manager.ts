/**
 * The login service (`LoginService`) and the plugin's side of it (`PluginLogins`): drives
 * the plugin's flows, stores completed logins, connects them (and every stored one at
 * start), records the states the plugin reports and tells users when a login needs them.
 */
import type { Logger } from '../log/logger.js';
import type { PermissionCheck } from '../permissions/index.js';
import {
  LOGIN_STATES, SECRET_FIELD_TYPES, STATES_NEEDING_USER,
  type LoginField, type LoginStateName, type LoginStep, type LoginSupport, type PluginLogins, type UserLogin,
} from './contract.js';
import { LoginError } from './errors.js';
import type { LoginStore } from './login-store.js';
import { LoginProcesses, type Running } from './processes.js';
import type { LoginProcessView, LoginService, LoginStepView } from './service.js';

export interface LoginManagerOptions {
  readonly support: LoginSupport;
  readonly store: LoginStore;
  readonly permissions: PermissionCheck;
  /** Tells a user something in their management room; `key` makes it idempotent. */
  readonly tellUser: (userId: string, text: string, key: string) => Promise<void>;
  /** Bot command prefix, for the instructions in messages. */
  readonly commandPrefix: string;
  readonly stepTimeoutMs: number;
  readonly logger: Logger;
}

export class LoginManager implements LoginService, PluginLogins {
  private readonly processes: LoginProcesses;

  constructor(private readonly options: LoginManagerOptions) {
    this.processes = new LoginProcesses(options.stepTimeoutMs, (running) => {
      options.logger.info({ userId: running.userId, flow: running.flowId }, 'login process timed out');
      void this.cancelProcess(running);
    });
  }

  flows() {
    return this.options.support.flows;
  }

  async start(userId: string, flowId: string): Promise<LoginProcessView> {
    if (!this.options.permissions.allows(userId, 'user')) throw new LoginError('M_FORBIDDEN', 'you are not allowed to log in to this bridge');
    if (!this.options.store.writable) throw new LoginError('M_FORBIDDEN', 'logins are not set up on this bridge (its operator has to set logins.encryptionKey)');
    if (!this.flows().some((f) => f.id === flowId)) throw new LoginError('M_NOT_FOUND', `there is no login flow "${flowId}"`);
    const process = await this.pluginCall('start the login', () => Promise.resolve(this.options.support.begin(flowId, { userId })));
    const first = await this.pluginCall('start the login', () => process.start());
    const running = this.processes.add(userId, flowId, process, first);
    this.options.logger.info({ userId, flow: flowId }, 'login started');
    return this.advance(running, first);
  }

  async submit(userId: string, processId: string, input: Readonly<Record<string, string>>): Promise<LoginProcessView> {
    const running = this.processes.get(userId, processId);
    const step = running.step;
    if (step.kind !== 'input') throw new LoginError('M_INVALID_PARAM', 'this step of the login takes no input');
    const values = checkInput(step.fields, input);
    const next = await this.processes.step(running, () => this.pluginCall('take the input', () => running.process.submit(values), running));
    return this.advance(running, next);
  }

  async wait(userId: string, processId: string): Promise<LoginProcessView> {
    const running = this.processes.get(userId, processId);
    const wait = running.process.wait?.bind(running.process);
    if (running.step.kind !== 'display' || !wait) throw new LoginError('M_INVALID_PARAM', 'this step of the login does not wait');
    const next = await this.processes.step(running, () => this.pluginCall('finish the step', wait, running));
    return this.advance(running, next);
  }

  async cancel(userId: string, processId: string): Promise<void> {
    let running: Running;
    try {
      running = this.processes.get(userId, processId);
    } catch {
      return; // gone already (or not theirs, which looks the same)
    }
    this.processes.remove(processId);
    await this.cancelProcess(running);
  }

  list(userId: string): readonly UserLogin[] {
    return this.options.store.forUser(userId);
  }

  all(): readonly UserLogin[] {
    return this.options.store.all();
  }

  async logout(userId: string, loginId: string): Promise<void> {
    const login = this.options.store.get(loginId);
    if (!login || login.userId !== userId) throw new LoginError('M_NOT_FOUND', `you have no login "${loginId}"`);
    try {
      await this.options.support.logout(login);
    } catch (err) {
      // The login goes all the same: the user asked for it to be gone.
      this.options.logger.warn({ err, loginId }, 'the plugin failed to log a login out; its record is deleted anyway');
    }
    await this.options.store.delete(loginId);
    this.options.logger.info({ userId, loginId }, 'logged out');
  }

  // ── PluginLogins ──────────────────────────────────────────────────────────────────────

  forUser(userId: string): readonly UserLogin[] {
    return this.options.store.forUser(userId);
  }

  get(loginId: string): UserLogin | undefined {
    return this.options.store.get(loginId);
  }

  async report(loginId: string, state: LoginStateName, message?: string): Promise<void> {
    if (!LOGIN_STATES.includes(state)) throw new RangeError(`${state} is not a login state`);
    const since = Date.now();
    const previous = await this.options.store.setStatus(loginId, { state, since, ...(message !== undefined ? { message } : {}) });
    if (!previous) {
      this.options.logger.warn({ loginId, state }, 'the plugin reported the state of a login that does not exist');
      return;
    }
    if (previous.state === state && previous.message === message) return;
    this.options.logger.info({ loginId, state, previous: previous.state }, 'login state changed');
    if (STATES_NEEDING_USER.has(state) && previous.state !== state) await this.tellNeedsUser(loginId, state, message, since);
  }

  async remove(loginId: string): Promise<void> {
    await this.options.store.delete(loginId);
  }

  // ── Start and stop ────────────────────────────────────────────────────────────────────

  /** Asks the plugin to connect every stored login (at start). A failure marks that login, nothing more. */
  async restoreAll(): Promise<void> {
    for (const login of this.options.store.all()) await this.connect(login.id);
  }

  /**
   * Cluster mode: takes up what other processes changed in the store (LoginStore.refresh).
   * A login added elsewhere is connected here too (its connection lease runs it in one
   * process); one removed elsewhere is let go (`disconnect`).
   */
  async followOthers(): Promise<void> {
    const { added, removed } = await this.options.store.refresh();
    for (const login of added) await this.connect(login.id);
    for (const login of removed) {
      this.options.logger.info({ userId: login.userId, loginId: login.id }, 'login removed by another process');
      try {
        await this.options.support.disconnect?.(login);
      } catch (err) {
        this.options.logger.warn({ err, loginId: login.id }, 'the plugin failed to let go of a login removed elsewhere');
      }
    }
  }

  /** Counts per state, for metrics. */
  stateCounts(): Record<LoginStateName, number> {
    const counts = Object.fromEntries(LOGIN_STATES.map((s) => [s, 0])) as Record<LoginStateName, number>;
    for (const login of this.options.store.all()) counts[login.status.state]++;
    return counts;
  }

  async close(): Promise<void> {
    for (const running of this.processes.drain()) await this.cancelProcess(running);
  }

  private async connect(loginId: string): Promise<void> {
    try {
      const login = this.options.store.withCredentials(loginId);
      if (!login) return;
      await this.options.support.connect(login);
    } catch (err) {
      this.options.logger.warn({ err, loginId }, 'the plugin could not connect a login');
      await this.report(loginId, 'unknown_error', err instanceof Error ? err.message : String(err));
    }
  }

  /** After a step: a completed login is stored and connected, and the process ends. */
  private async advance(running: Running, step: LoginStep): Promise<LoginProcessView> {
    if (step.kind !== 'complete') return { processId: running.id, flowId: running.flowId, step };
    this.processes.remove(running.id);
    const login = await this.options.store.save(running.userId, running.flowId, step.login);
    this.options.logger.info({ userId: running.userId, loginId: login.id, flow: running.flowId }, 'login completed');
    await this.connect(login.id);
    const view: LoginStepView = { kind: 'complete', login: this.options.store.get(login.id) ?? login, ...(step.instructions !== undefined ? { instructions: step.instructions } : {}) };
    return { processId: running.id, flowId: running.flowId, step: view };
  }

  /** Runs a plugin call; its failure becomes a LoginError (and ends the process, unless it was a LoginError the plugin chose). */
  private async pluginCall<T>(what: string, call: () => Promise<T>, running?: Running): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof LoginError) throw err;
      // Never the input in the log: it may hold the password.
      this.options.logger.warn({ err, flow: running?.flowId }, `the plugin failed to ${what}`);
      if (running) {
        this.processes.remove(running.id);
        await this.cancelProcess(running);
      }
      throw new LoginError('M_UNKNOWN', `the login failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async cancelProcess(running: Running): Promise<void> {
    try {
      await running.process.cancel?.();
    } catch (err) {
      this.options.logger.warn({ err, flow: running.flowId }, 'the plugin failed to cancel a login');
    }
  }

  private async tellNeedsUser(loginId: string, state: LoginStateName, message: string | undefined, since: number): Promise<void> {
    const login = this.options.store.get(loginId);
    if (!login) return;
    const what = state === 'bad_credentials' ? 'its credentials were refused' : 'it was logged out';
    const text = `Your login ${login.remoteName} (${login.id}) needs you: ${what}${message ? ` (${message})` : ''}. `
      + `Send ${this.options.commandPrefix}login to log in again, or ${this.options.commandPrefix}logout ${login.id} to remove it.`;
    try {
      await this.options.tellUser(login.userId, text, `login-state:${loginId}:${since}`);
    } catch (err) {
      this.options.logger.warn({ err, loginId, userId: login.userId }, 'could not tell the user that their login needs them');
    }
  }
}

/** The values of an input step's fields: each required one present, each matching its pattern. */
export function checkInput(fields: readonly LoginField[], input: Readonly<Record<string, string>>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of fields) {
    const value = input[field.id];
    if (value === undefined || value === '') {
      if (field.optional) continue;
      throw new LoginError('M_INVALID_PARAM', `${field.name} (${field.id}) is missing`);
    }
    if (typeof value !== 'string') throw new LoginError('M_INVALID_PARAM', `${field.name} (${field.id}) must be a string`);
    if (field.pattern !== undefined && !new RegExp(`^(?:${field.pattern})$`, 'u').test(value)) {
      throw new LoginError('M_INVALID_PARAM', `${field.name} (${field.id}) is not valid${isSecret(field) ? '' : `: "${value}"`}`);
    }
    values[field.id] = value;
  }
  return values;
}

export function isSecret(field: LoginField): boolean {
  return field.secret === true || SECRET_FIELD_TYPES.has(field.type);
}
