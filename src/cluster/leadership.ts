import type { Logger } from '../log/logger.js';
import { LEADER_LEASE, type ClusterHooks, type ClusterSettings } from './settings.js';
import type { SharedJournal } from './shared-journal.js';

/**
 * Placement `leader`: whether this process leads (always, when rooms are spread), and
 * taking the leader lease when it is free (its holder stopped, or was reaped). Leading
 * begins with the `onLeading` hook (the crypto device opens there); when that fails, the
 * lease is of no use here: `cannotLead` is told, and this process must leave the cluster
 * so that another one leads.
 */
export class Leadership {
  leading: boolean;

  constructor(
    settings: Pick<ClusterSettings, 'placement'>,
    private readonly journal: SharedJournal,
    private readonly hooks: ClusterHooks,
    private readonly logger: Logger,
  ) {
    this.leading = settings.placement !== 'leader';
  }

  /** Takes the lead when the lease is free; true when this process leads now. */
  async tryLead(processId: string, cannotLead: (err: Error) => void): Promise<boolean> {
    if (this.leading) return true;
    if (!(await this.journal.claimLease(LEADER_LEASE))) return false;
    try {
      await this.hooks.onLeading?.();
    } catch (err) {
      const failure = err instanceof Error ? err : new Error(String(err));
      this.logger.error({ err: failure }, 'this process took the lead but cannot lead: it leaves the cluster for another to lead');
      cannotLead(failure);
      return false;
    }
    this.leading = true;
    this.logger.info({ processId }, 'this process leads the cluster now: it handles every room');
    return true;
  }
}
