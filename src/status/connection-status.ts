import type { Logger } from '../log/logger.js';
import { LOGIN_STATES, type LoginStateName } from '../logins/contract.js';
import type { ConnectionReport, ConnectionStatusEntry, PluginStatus } from './contract.js';

/** States worth an operator's attention: logged at warn. */
const WARN_STATES: ReadonlySet<LoginStateName> = new Set(['bad_credentials', 'unknown_error']);

/** The latest state of each of the plugin's connections, in memory (a restart reports them afresh). */
export class ConnectionStatus implements PluginStatus {
  private readonly entries = new Map<string, ConnectionStatusEntry>();

  constructor(private readonly logger: Logger, private readonly now: () => number = Date.now) {}

  report(connectionId: string, report: ConnectionReport): void {
    const before = this.entries.get(connectionId);
    if (before && before.state === report.state && before.message === report.message) return;
    const since = before?.state === report.state ? before.since : this.now();
    this.entries.set(connectionId, {
      id: connectionId, state: report.state, since, ...(report.message !== undefined ? { message: report.message } : {}),
    });
    const fields = { connection: connectionId, state: report.state, previous: before?.state, message: report.message };
    if (WARN_STATES.has(report.state)) this.logger.warn(fields, 'connection state changed');
    else this.logger.info(fields, 'connection state changed');
  }

  forget(connectionId: string): void {
    if (this.entries.delete(connectionId)) this.logger.info({ connection: connectionId }, 'connection forgotten');
  }

  /** Every connection, by id. */
  list(): ConnectionStatusEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** How many connections are in each state (every state present, zeros included, so a gauge drops to 0). */
  stateCounts(): Record<LoginStateName, number> {
    const counts = Object.fromEntries(LOGIN_STATES.map((s) => [s, 0])) as Record<LoginStateName, number>;
    for (const entry of this.entries.values()) counts[entry.state]++;
    return counts;
  }
}
