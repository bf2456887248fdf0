import type { PgLevel } from '../store/index.js';

/** How the connection leases stand across the live processes. */
export interface BalanceView {
  /** Live processes (this one too). */
  readonly live: number;
  /** Connection leases this process holds. */
  readonly mine: number;
  /** The fewest any other live process holds (Infinity when this one is alone). */
  readonly fewestElsewhere: number;
  /** Connection leases held in all, plus the free ones this process wants. */
  readonly total: number;
}

export interface BalanceOptions {
  /**
   * How long an imbalance must last before a surplus lease is given up, and how long a
   * free lease beyond this process's share waits for a process under its share to take
   * it. A given-up lease not taken elsewhere holds the next one back for twice as long.
   */
  readonly settleMs: number;
}

/**
 * Spreads connection leases over the live processes: each aims at its share,
 * ceil(connections / live processes). A free lease is taken at once while under the
 * share; beyond it only once it stayed free for `settleMs` (nobody under their share wants
 * it: a connection only this process knows). A process over its share for `settleMs`,
 * while another is under it, gives one lease up (stopped, then freed), then waits until
 * another took it (or twice `settleMs` passed) before giving up the next. The ceiling is the
 * hysteresis: at or under the share nothing moves, so connections do not flap.
 */
export class ConnectionBalance {
  private readonly freeSince = new Map<string, number>();
  private overSince: number | undefined;
  /** The lease last given up, and when: nothing more goes until it is taken elsewhere or `settleMs` passed. */
  private offered: { readonly key: string; readonly at: number } | undefined;
  /** Given up once and taken by nobody else (only this process runs it): not given up again. */
  private readonly kept = new Set<string>();

  constructor(private readonly options: BalanceOptions) {}

  static share(view: Pick<BalanceView, 'live' | 'total'>): number {
    return Math.ceil(view.total / Math.max(1, view.live));
  }

  /** How the leases stand now; `free`: keys this process wants that nobody holds. */
  static async read(db: PgLevel, processId: string, free: number): Promise<BalanceView> {
    const { processes, leases } = db.tables;
    const rows = await db.query<{ id: string; n: number }>(
      `SELECT p.id, count(l.key)::int AS n FROM ${processes} p LEFT JOIN ${leases} l ON l.owner = p.id AND l.key LIKE 'conn:%'
       WHERE p.expires_at > now() OR p.id = $1 GROUP BY p.id`, [processId]);
    const mine = rows.find((r) => r.id === processId)?.n ?? 0;
    const others = rows.filter((r) => r.id !== processId).map((r) => r.n);
    return { live: Math.max(1, rows.length), mine, fewestElsewhere: others.length === 0 ? Infinity : Math.min(...others), total: rows.reduce((n, r) => n + r.n, 0) + free };
  }

  /** Which of the free keys to take now. */
  pickTakes(free: readonly string[], view: BalanceView, now = Date.now()): string[] {
    for (const key of this.freeSince.keys()) if (!free.includes(key)) this.freeSince.delete(key);
    let room = ConnectionBalance.share(view) - view.mine;
    const takes: string[] = [];
    for (const key of free) {
      const since = this.freeSince.get(key) ?? now;
      this.freeSince.set(key, since);
      // The one this process gave up is left to the others for a while.
      const offeredHere = this.offered?.key === key && now - this.offered.at < this.options.settleMs;
      if (room > 0 && !offeredHere) {
        takes.push(key);
        room--;
      } else if (now - since >= this.options.settleMs && !offeredHere) {
        takes.push(key);
        if (this.offered?.key === key) this.kept.add(key);
      }
    }
    for (const key of takes) this.freeSince.delete(key);
    return takes;
  }

  /** A held key to give up now, if this process has been over its share long enough and another is under it. */
  pickRelease(held: readonly string[], view: BalanceView, isHeldElsewhere: (key: string) => boolean, now = Date.now()): string | undefined {
    const share = ConnectionBalance.share(view);
    if (view.mine <= share || view.fewestElsewhere >= share) {
      this.overSince = undefined;
      return undefined;
    }
    this.overSince ??= now;
    if (now - this.overSince < this.options.settleMs) return undefined;
    // One at a time: the last one given up must be taken elsewhere first (or left long enough that nobody will).
    if (this.offered && !isHeldElsewhere(this.offered.key) && now - this.offered.at < 2 * this.options.settleMs) return undefined;
    // The newest lease goes (the last taken): the longest-running connections stay where they are.
    const key = held.filter((k) => !this.kept.has(k)).at(-1);
    if (key !== undefined) {
      this.offered = { key, at: now };
      this.overSince = now;
    }
    return key;
  }
}
