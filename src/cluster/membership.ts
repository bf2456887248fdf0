import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { Logger } from '../log/logger.js';
import { escapeIdentifier } from 'pg';
import type { PgLevel, StoreTables } from '../store/index.js';

export interface MembershipOptions {
  /** How long a process counts as alive after its last heartbeat. */
  readonly leaseTtlMs: number;
  /** How often it renews (and reaps others); well under the TTL. */
  readonly heartbeatMs: number;
  /** This process's id in the cluster (default: host, pid and a random part, unique per start). */
  readonly processId?: string;
}

export interface MembershipHooks {
  /**
   * Work may be waiting: `items` journaled in lanes another process holds (this one, maybe),
   * or leases gone `free` (a process left or was reaped), or messages forwarded (`fwd`) to
   * connections (this process may run some of them).
   */
  readonly wake: (kind: 'items' | 'free' | 'fwd') => void;
  /** Other processes were reaped: `leases` of theirs went free. */
  readonly reaped?: (processes: readonly string[], leases: number) => void;
  /** This process was reaped by another (its heartbeat lapsed): it must stop handling anything. */
  readonly fencedOut: () => void;
}

/** The NOTIFY channel of one store's cluster (one per schema). */
export function wakeChannel(tables: StoreTables): string {
  return escapeIdentifier(`bridgekit_wake_${tables.schema}`);
}

/**
 * This process's membership in the cluster: a row in the processes table that its
 * heartbeat keeps alive. Every lease it holds references the row, so reaping a dead
 * process (deleting its expired row) frees all its leases at once, and every write it
 * makes is fenced by the row (PgLevel.fenceWith). A LISTEN session wakes it when another
 * process journals items or leases go free.
 */
export class Membership {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();
  private left = false;
  private fenced = false;

  private constructor(
    readonly id: string,
    private readonly db: PgLevel,
    private readonly listener: WakeListener,
    private readonly options: MembershipOptions,
    private readonly hooks: MembershipHooks,
    private readonly logger: Logger,
  ) {}

  static async join(db: PgLevel, url: string, options: MembershipOptions, hooks: MembershipHooks, logger: Logger): Promise<Membership> {
    const id = options.processId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    const { processes } = db.tables;
    // A configured id whose last run crashed: its expired row (and leases) go now, since
    // no other process may be left to reap it; a live row with the id is another process.
    await db.query(`DELETE FROM ${processes} WHERE id = $1 AND expires_at < now()`, [id]);
    const inserted = await db.query(`INSERT INTO ${processes} (id, expires_at, info) VALUES ($1, now() + $2 * interval '1 millisecond', $3)
      ON CONFLICT (id) DO NOTHING RETURNING id`, [id, options.leaseTtlMs, JSON.stringify({ host: hostname(), pid: process.pid, leaseTtlMs: options.leaseTtlMs })]);
    if (inserted.length === 0) {
      throw new Error(`the cluster process id ${id} is in use by a live process (cluster.processId must differ per process; a crashed run's row expires after cluster.leaseTtlSeconds)`);
    }
    const listener = await WakeListener.open(url, wakeChannel(db.tables), hooks, logger).catch(async (err: unknown) => {
      await db.query(`DELETE FROM ${processes} WHERE id = $1`, [id]).catch(() => undefined);
      throw err;
    });
    const member = new Membership(id, db, listener, options, hooks, logger);
    db.fenceWith(id);
    member.timer = setInterval(() => { member.beating = member.beat(); }, options.heartbeatMs);
    member.timer.unref();
    return member;
  }

  /** Wakes every process of the cluster (this one too): leases went free. */
  async notify(): Promise<void> {
    await this.db.query(`SELECT pg_notify($1, 'free')`, [`bridgekit_wake_${this.db.tables.schema}`]);
  }

  /** Renews this process's row, then reaps processes whose rows expired. */
  private async beat(): Promise<void> {
    if (this.left || this.fenced) return;
    const { processes, leases } = this.db.tables;
    try {
      const renewed = await this.db.query(`UPDATE ${processes} SET expires_at = now() + $2 * interval '1 millisecond' WHERE id = $1 RETURNING id`,
        [this.id, this.options.leaseTtlMs]);
      if (renewed.length === 0) {
        this.fenced = true;
        this.logger.fatal({ processId: this.id }, 'another process reaped this one (its heartbeat lapsed): stopping, its rooms are handled elsewhere now');
        this.hooks.fencedOut();
        return;
      }
      // The leases are counted before the cascade removes them (the CTE reads the snapshot).
      const reaped = await this.db.query<{ id: string; leases: number }>(
        `WITH dead AS (DELETE FROM ${processes} WHERE expires_at < now() AND id <> $1 RETURNING id)
         SELECT d.id, (SELECT count(*)::int FROM ${leases} l WHERE l.owner = d.id) AS leases FROM dead d`, [this.id]);
      if (reaped.length > 0) {
        const freed = reaped.reduce((n, r) => n + r.leases, 0);
        this.logger.warn({ processes: reaped.map((r) => r.id), leases: freed }, 'reaped processes whose heartbeat lapsed; their rooms are taken over');
        this.hooks.reaped?.(reaped.map((r) => r.id), freed);
        await this.notify();
      }
    } catch (err) {
      this.logger.warn({ err }, 'the cluster heartbeat failed; trying again');
    }
  }

  /** Leaves the cluster: the row and every lease with it go, and the others are woken to take over. */
  async leave(): Promise<void> {
    if (this.left) return;
    this.left = true;
    clearInterval(this.timer);
    await this.beating;
    try {
      if (!this.fenced) {
        await this.db.query(`DELETE FROM ${this.db.tables.processes} WHERE id = $1`, [this.id]);
        await this.notify();
      }
    } finally {
      await this.listener.close();
    }
  }
}

/** How long to wait before opening a lost wake-up session again (the poll covers the gap). */
const RELISTEN_MS = 2_000;

/**
 * The LISTEN session: its own connection (a pooled one would lose the subscription), opened
 * again when it is lost. Meanwhile the poll finds the work.
 */
class WakeListener {
  private client: Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  private constructor(private readonly url: string, private readonly channel: string, private readonly hooks: MembershipHooks, private readonly logger: Logger) {}

  static async open(url: string, channel: string, hooks: MembershipHooks, logger: Logger): Promise<WakeListener> {
    const listener = new WakeListener(url, channel, hooks, logger);
    await listener.connect();
    return listener;
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: 'bridgekit-listen' });
    let lost = false;
    const onLost = (err?: unknown) => {
      if (lost || this.closed) return;
      lost = true;
      this.client = undefined;
      this.logger.warn({ err }, 'the cluster wake-up session was lost; polling meanwhile, listening again shortly');
      this.retry = setTimeout(() => { this.connect().catch((e: unknown) => onRetryFailed(e)); }, RELISTEN_MS);
      this.retry.unref();
    };
    const onRetryFailed = (err: unknown) => {
      if (this.closed) return;
      this.logger.warn({ err }, 'could not listen for cluster wake-ups yet; trying again');
      this.retry = setTimeout(() => { this.connect().catch(onRetryFailed); }, RELISTEN_MS);
      this.retry.unref();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (msg) => this.hooks.wake(msg.payload === 'items' || msg.payload === 'fwd' ? msg.payload : 'free'));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      lost = true;
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }
}
