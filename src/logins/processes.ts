/**
 * Login processes under way: each belongs to one user, runs one step at a time, and is
 * cancelled when it waits longer than the step timeout for its next call.
 */
import { randomBytes } from 'node:crypto';
import type { LoginProcess, LoginStep } from './contract.js';
import { LoginError } from './errors.js';

export interface Running {
  readonly id: string;
  readonly userId: string;
  readonly flowId: string;
  readonly process: LoginProcess;
  step: LoginStep;
  busy: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** At most this many processes per user at once (a client that keeps starting them). */
export const MAX_PROCESSES_PER_USER = 3;

export class LoginProcesses {
  private readonly running = new Map<string, Running>();

  constructor(private readonly timeoutMs: number, private readonly onExpired: (running: Running) => void) {}

  add(userId: string, flowId: string, process: LoginProcess, step: LoginStep): Running {
    if (this.countFor(userId) >= MAX_PROCESSES_PER_USER) {
      throw new LoginError('M_LIMIT_EXCEEDED', `you have ${MAX_PROCESSES_PER_USER} logins under way already: finish or cancel one first`);
    }
    const running: Running = { id: randomBytes(16).toString('base64url'), userId, flowId, process, step, busy: false, timer: undefined };
    this.running.set(running.id, running);
    this.arm(running);
    return running;
  }

  /** The user's process, or M_NOT_FOUND (also for another user's: its id says nothing). */
  get(userId: string, processId: string): Running {
    const running = this.running.get(processId);
    if (!running || running.userId !== userId) throw new LoginError('M_NOT_FOUND', 'no such login under way (it may have timed out)');
    return running;
  }

  /** Runs one step of a process; a second call while one runs is refused. */
  async step(running: Running, action: () => Promise<LoginStep>): Promise<LoginStep> {
    if (running.busy) throw new LoginError('M_INVALID_PARAM', 'the previous step of this login is still running');
    running.busy = true;
    clearTimeout(running.timer);
    try {
      const step = await action();
      running.step = step;
      return step;
    } finally {
      running.busy = false;
      if (this.running.has(running.id)) this.arm(running);
    }
  }

  remove(processId: string): Running | undefined {
    const running = this.running.get(processId);
    if (!running) return undefined;
    clearTimeout(running.timer);
    this.running.delete(processId);
    return running;
  }

  /** Every process, removed (shutdown). */
  drain(): Running[] {
    const all = [...this.running.values()];
    for (const r of all) this.remove(r.id);
    return all;
  }

  private countFor(userId: string): number {
    let n = 0;
    for (const r of this.running.values()) if (r.userId === userId) n++;
    return n;
  }

  private arm(running: Running): void {
    clearTimeout(running.timer);
    running.timer = setTimeout(() => {
      if (running.busy || !this.running.has(running.id)) return;
      this.remove(running.id);
      this.onExpired(running);
    }, this.timeoutMs);
    running.timer.unref();
  }
}
