import type { BridgeConfig } from '../config/index.js';
import { readClusterStatus, type ClusterStatus } from '../cluster/index.js';
import { DEFAULT_SCHEMA, inspectionPool, migrationStatus, redactUrl, storeTables } from '../store/index.js';
import { fail, pass, skip, type CheckResult } from './doctor-checks.js';

const NAME = 'cluster';
/** The migration that made the cluster's tables. */
const CLUSTER_MIGRATION = 2;

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

function age(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 7_200_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 3_600_000).toFixed(1)} h`;
}

/**
 * Cluster mode, or a store whose cluster tables hold rows: the live processes and their
 * leases, rows expired and not reaped yet, the shared journal's backlog, and lanes with
 * items that no process leases (work nobody takes). Read only: runs beside the bridge.
 */
export async function checkCluster(config: BridgeConfig, now = Date.now()): Promise<CheckResult> {
  const url = config.store.url;
  if (url === undefined) return skip(NAME, 'the store is Level: one process');
  const tables = storeTables(config.store.schema ?? DEFAULT_SCHEMA);
  const pool = inspectionPool(url);
  let status: ClusterStatus;
  try {
    const migration = await migrationStatus(pool, tables);
    if (migration.current < CLUSTER_MIGRATION) return skip(NAME, `the schema has no cluster tables yet (migration ${CLUSTER_MIGRATION})`);
    status = await readClusterStatus(pool, tables, now);
  } catch (e) {
    return skip(NAME, `${redactUrl(url)}: cannot read the cluster tables (${firstLine(e)})`);
  } finally {
    await pool.end().catch(() => undefined);
  }
  if (!config.cluster.enabled && status.processes.length === 0 && status.unhandled === 0) {
    return skip(NAME, 'cluster mode is off and the cluster tables are empty');
  }
  return judge(status, config);
}

/** Forwarded messages waiting (per connection, the oldest first, at most five) and given up; nothing when none. */
function forwardNotes(status: ClusterStatus): string[] {
  const notes: string[] = [];
  const waiting = status.forwards.reduce((n, f) => n + f.messages, 0);
  if (waiting > 0) {
    notes.push(`forwarded messages: ${waiting} waiting for ${status.forwards.length} connection(s)`);
    for (const f of status.forwards.slice(0, 5)) {
      notes.push(`  ${f.lease}: ${f.messages} message(s), the oldest ${age(f.oldestAgeMs)} old, ${f.held ? 'its holder delivers them' : 'no process runs it'}`);
    }
  }
  if (status.deadForwards > 0) notes.push(`forwarded messages given up (dead letters): ${status.deadForwards}`);
  return notes;
}

/** The notes and the verdict. `stuckMs`: how long work may wait unleased before it counts as stuck. */
export function judge(status: ClusterStatus, config: BridgeConfig): CheckResult {
  const ttlMs = config.cluster.leaseTtlSeconds * 1000;
  const stuckMs = Math.max(2 * ttlMs, 5 * config.cluster.pollSeconds * 1000, 10_000);
  const live = status.processes.filter((p) => p.expiresInMs >= 0);
  const expired = status.processes.filter((p) => p.expiresInMs < 0);
  const notes: string[] = [];
  for (const p of live) {
    notes.push(`process ${p.id}: heartbeat ${age(Math.max(0, (p.leaseTtlMs ?? ttlMs) - p.expiresInMs))} ago, ${p.lanes} lane lease(s), ${p.connections} connection lease(s)`);
  }
  for (const p of expired) {
    notes.push(`process ${p.id}: EXPIRED ${age(-p.expiresInMs)} ago, not reaped yet, still holding ${p.lanes} lane(s) and ${p.connections} connection(s)`);
  }
  if (config.encryption.enabled) {
    notes.push(status.leader !== undefined
      ? `crypto device: held by process ${status.leader} (placement leader, forced by encryption.enabled)`
      : 'crypto device: held by no process now (no leader: the next live process to look takes the lead and opens it)');
  }
  notes.push(status.unhandled === 0 ? 'shared journal: nothing unhandled'
    : `shared journal: ${status.unhandled} unhandled item(s), the oldest received ${age(status.oldestUnhandledAgeMs ?? 0)} ago`);
  if (status.orphanLanes > 0) {
    notes.push(`lanes with unhandled items and no lease: ${status.orphanLanes}${status.orphanLanes > status.orphans.length ? ` (the ${status.orphans.length} oldest:)` : ''}`);
    for (const o of status.orphans) notes.push(`  ${o.lane}: ${o.items} item(s), the oldest ${age(o.oldestAgeMs)} old`);
  }
  notes.push(...forwardNotes(status));
  const leases = live.reduce((n, p) => n + p.lanes, 0);
  const connections = live.reduce((n, p) => n + p.connections, 0);
  const summary = `${live.length} live process(es), ${leases} lane lease(s), ${connections} connection lease(s), ${status.unhandled} unhandled item(s)`;
  const stuck = status.orphans.filter((o) => o.oldestAgeMs > stuckMs);
  if (live.length === 0) {
    if (status.unhandled === 0 && expired.length === 0) return pass(NAME, summary, notes);
    return {
      name: NAME, status: 'warn', notes,
      detail: `no live process: ${[
        ...(status.unhandled > 0 ? [`${status.unhandled} item(s) wait`] : []),
        ...(expired.length > 0 ? [`${expired.length} expired process row(s) wait to be reaped`] : []),
      ].join(', ')}`,
      advice: 'start a bridge process (it reaps expired rows and takes the work over)',
    };
  }
  if (stuck.length > 0) {
    return fail(NAME, `${summary}; ${status.orphanLanes} lane(s) with items no process takes, the oldest waiting ${age(stuck[0]!.oldestAgeMs)}`,
      'look in the processes\' logs for "reading the shared journal failed" (their poll claims free lanes every cluster.pollSeconds); restarting one process makes it claim them at start', notes);
  }
  const unrun = status.forwards.filter((f) => !f.held && f.oldestAgeMs > stuckMs);
  if (unrun.length > 0) {
    return {
      name: NAME, status: 'warn', notes,
      detail: `${summary}; messages forwarded to ${unrun.length} connection(s) no process runs, the oldest waiting ${age(unrun[0]!.oldestAgeMs)}`,
      advice: 'they are delivered once a process runs the connection (ctx.leases.run); a connection the plugin no longer runs leaves its messages waiting: see the processes\' logs',
    };
  }
  const stale = expired.filter((p) => -p.expiresInMs > stuckMs).sort((a, b) => a.expiresInMs - b.expiresInMs);
  if (stale.length > 0) {
    return {
      name: NAME, status: 'warn', notes,
      detail: `${summary}; ${stale.length} process row(s) expired ${age(-stale[0]!.expiresInMs)} ago and not reaped`,
      advice: 'the live processes reap at every heartbeat: look in their logs for "the cluster heartbeat failed"',
    };
  }
  return pass(NAME, summary, notes);
}
