/**
 * `npm run bench:cluster` (issue #21): the whole bridge on PostgreSQL with 1, 2 and 3
 * processes against Level with 1, and the failover time.
 *
 * Throughput: the scenario of `npm run bench:bridge` (the stand-in homeserver of
 * bench/bridge-homeserver.ts pushing `m.room.message` events over keep-alive connections,
 * every refusal retried with the same txnId; `bridgekit run` with the echo plugin; done when
 * every room's closing `!echo` is answered), with the processes behind the round-robin
 * balancer of the cluster tests (test/helpers/balancer.ts): every setup goes through it, so
 * its hop is in every latency alike. PostgreSQL is a throwaway cluster with fsync on.
 * Reported: events/s, p50/p99 transaction latency (200 answers, at the stand-in), and CPU µs
 * per event: the bridge processes' plus the PostgreSQL server's, from /proc, start of load
 * to done (the balancer, in this process, is not counted).
 *
 * Setups: `level` (one process, store.path), `postgres` (one process in the one-process
 * mode: the store's advisory lock), `postgres+cluster` ×1, ×2, ×3 (the multi-process mode:
 * `cluster.enabled`, the shared journal, room leases).
 *
 * Failover: two processes with the counting plugin of the cluster tests
 * (test/helpers/cluster-harness.ts) and the default lease TTL, a flood across 40 rooms, kill
 * -9 of one once it has handled messages; the time from the kill to the survivor's first
 * echo in a room the dead one had echoed in (echo times are the homeserver's). Every message
 * is checked handled once and echoed once, in order.
 *
 * Environment (all optional):
 *   BENCH_CLUSTER_SETUPS=level:1,postgres:1,postgres+cluster:1,postgres+cluster:2,postgres+cluster:3
 *   BENCH_CLUSTER_EVENTS=30000  BENCH_CLUSTER_PER_TXN=50  BENCH_CONNECTIONS=10  BENCH_ROOMS=100
 *   BENCH_CLUSTER_FAILOVERS=3   failover runs (0: none)
 *   BENCH_LOG_LEVEL=info
 *   BENCH_PG_PROFILE=1          print what PostgreSQL spent per statement (pg_stat_statements) after each PostgreSQL run
 * Results: the tables on stdout, bench/results/cluster-latest.json and cluster-latest.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Balancer } from '../test/helpers/balancer.js';
import { BridgeProcess, writeDeploymentRegistration, type Deployment } from '../test/helpers/bridge-process.js';
import { ClusterHarness } from '../test/helpers/cluster-harness.js';
import { freePort, waitFor } from '../test/helpers/net.js';
import { startPgCluster, type PgCluster } from '../test/helpers/pg-cluster.js';
import { exited, procStats, standIn } from './bridge.js';
import { env, fmt, HS_TOKEN, markdownTable, ROOT, table } from './harness.js';
import { profileLines, PROFILE_SETTINGS, readProfile, resetProfile } from './pg-profile.js';

interface Setup { readonly store: 'level' | 'postgres'; readonly cluster: boolean; readonly processes: number; readonly name: string }

interface Row {
  setup: string;
  processes: number;
  events?: number;
  eventsPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  bridgeCpuUsPerEvent?: number;
  dbCpuUsPerEvent?: number;
  refusals?: number;
  check?: string;
  error?: string;
}

interface Failover { run: number; ms?: number; mode: string; check: string }

function parseSetups(raw: string): Setup[] {
  return raw.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [name = '', count = '1'] = s.split(':');
    if (!['level', 'postgres', 'postgres+cluster'].includes(name)) throw new Error(`BENCH_CLUSTER_SETUPS: unknown setup '${name}'`);
    return { store: name === 'level' ? 'level' : 'postgres', cluster: name === 'postgres+cluster', processes: Number(count), name } as const;
  });
}

const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => {
  try {
    return sum + procStats(pid).cpuMicros;
  } catch {
    return sum; // gone meanwhile
  }
}, 0);

/** One throughput run: the processes of `setup` behind the balancer, the stand-in's load through it. */
async function throughput(setup: Setup, loadArgs: string[], rooms: number): Promise<Row> {
  const label = setup.processes > 1 || setup.cluster ? `${setup.name} ×${setup.processes}` : setup.name;
  const dir = await mkdtemp(join(tmpdir(), 'bridgekit-bench-cluster-'));
  let pg: PgCluster | undefined;
  const hs = await standIn([...loadArgs, '--echo', '--bot', '@echobot:localhost']);
  const balancer = await Balancer.start();
  const processes: BridgeProcess[] = [];
  try {
    const profile = process.env['BENCH_PG_PROFILE'] === '1';
    pg = setup.store === 'postgres' ? await startPgCluster({ durable: true, ...(profile ? { settings: PROFILE_SETTINGS } : {}) }) : undefined;
    const deployment: Deployment = {
      dir, homeserverUrl: hs.url, publicUrl: balancer.url, registrationPath: join(dir, 'registration.yaml'),
      store: pg ? { url: pg.url } : { path: join(dir, 'data') }, plugin: 'echo', bot: 'echobot', prefix: '_echo_',
      ...(setup.cluster ? { cluster: {} } : {}), logLevel: process.env['BENCH_LOG_LEVEL'] ?? 'info',
    };
    await writeDeploymentRegistration(deployment, { hs_token: HS_TOKEN });
    for (let i = 1; i <= setup.processes; i++) {
      const p = await BridgeProcess.create(deployment, `p${i}`, await freePort());
      await p.start(60_000);
      balancer.add(p.url);
      processes.push(p);
    }
    if (pg && profile) await resetProfile(pg.url);
    const bridgeBefore = cpuOf(processes.map((p) => p.pid!));
    const dbBefore = pg ? cpuOf(pg.pids()) : 0;
    const load = await hs.start(Number(new URL(balancer.url).port));
    const bridgeCpu = cpuOf(processes.map((p) => p.pid!)) - bridgeBefore;
    const dbCpu = pg ? cpuOf(pg.pids()) - dbBefore : 0;
    if (pg && profile) console.log(`    PostgreSQL's costliest statements (${label}):\n${profileLines(await readProfile(pg.url), load.events).join('\n')}`);
    return {
      setup: label, processes: setup.processes, events: load.events, eventsPerSec: load.events / (load.elapsedMs / 1000),
      p50Ms: load.p50Ms, p99Ms: load.p99Ms, bridgeCpuUsPerEvent: bridgeCpu / load.events, dbCpuUsPerEvent: dbCpu / load.events,
      refusals: load.refusals,
      check: `${load.echoes === rooms ? 'ok' : 'MISSING'}: ${load.echoes} of ${rooms} rooms answered; requests by process: `
        + processes.map((p) => `${balancer.stats.forwarded[p.url] ?? 0}`).join('/'),
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    hs.child.kill();
    await exited(hs.child);
    await balancer.stop();
    await pg?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One failover run (see the file's comment). */
async function failover(run: number): Promise<Failover> {
  const mode = 'two processes, default lease TTL';
  const h = await ClusterHarness.start({ processes: 2, durable: true });
  try {
    const [survivor, victim] = h.processes as [BridgeProcess, BridgeProcess];
    await h.up(survivor);
    await h.up(victim);
    const rooms = await h.createRooms(40);
    let killedAt = 0;
    const sent = await h.flood(rooms, 30, async (round) => {
      if (round !== 10) return;
      await waitFor(() => rooms.some((r) => h.echoes(r).some((e) => e.by === victim.runName)), 60_000, `${victim.runName}'s first echo`);
      await h.kill(victim);
      killedAt = Date.now();
    });
    await h.settled(sent, 120_000);
    const problems = await h.problems(sent);
    const ms = h.failoverMs(rooms, victim.runName, killedAt);
    return { run, mode, ...(ms !== undefined ? { ms } : {}), check: problems.length === 0 ? 'ok: each message once, echoes once and in order' : `${problems.length} problems: ${problems[0]}` };
  } finally {
    await h.stop();
  }
}

async function main(): Promise<void> {
  const setups = parseSetups(process.env['BENCH_CLUSTER_SETUPS'] ?? 'level:1,postgres:1,postgres+cluster:1,postgres+cluster:2,postgres+cluster:3');
  const events = env('BENCH_CLUSTER_EVENTS', 30_000);
  const perTxn = env('BENCH_CLUSTER_PER_TXN', 50);
  const connections = env('BENCH_CONNECTIONS', 10);
  const rooms = env('BENCH_ROOMS', 100);
  const failovers = env('BENCH_CLUSTER_FAILOVERS', 3);
  const loadArgs = ['--events', String(events), '--per-txn', String(perTxn), '--connections', String(connections), '--rooms', String(rooms)];
  const loads: number[] = [loadavg()[0]!];
  const sample = setInterval(() => loads.push(loadavg()[0]!), 5_000);
  console.log(`bench:cluster — ${cpus().length} CPUs, Node ${process.version}, 1-min load ${loadavg()[0]!.toFixed(2)} at start; `
    + `${events} events at ${perTxn}/txn, ${connections} connections, ${rooms} rooms`);
  const rows: Row[] = [];
  for (const setup of setups) {
    console.log(`  ${setup.name} ×${setup.processes} ...`);
    try {
      rows.push(await throughput(setup, loadArgs, rooms));
    } catch (err) {
      console.log(`    failed: ${(err as Error).message.split('\n')[0]}`);
      rows.push({ setup: `${setup.name} ×${setup.processes}`, processes: setup.processes, error: (err as Error).message.split('\n')[0] });
    }
  }
  const failoverRuns: Failover[] = [];
  for (let run = 1; run <= failovers; run++) {
    console.log(`  failover, run ${run} ...`);
    try {
      failoverRuns.push(await failover(run));
    } catch (err) {
      failoverRuns.push({ run, mode: '-', check: `failed: ${(err as Error).message.split('\n')[0]}` });
    }
  }
  clearInterval(sample);
  loads.push(loadavg()[0]!);

  const level = rows.find((r) => r.setup === 'level' && r.eventsPerSec);
  const total = (r: Row) => r.bridgeCpuUsPerEvent! + r.dbCpuUsPerEvent!;
  const header = ['setup', 'processes', 'events', 'events/s', '× level', 'p50 ms', 'p99 ms', 'CPU µs/ev bridge', 'CPU µs/ev PostgreSQL', 'CPU µs/ev total', '× level', 'refused', 'check'];
  const lines = rows.map((r) => r.error
    ? [r.setup, String(r.processes), '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', `NOT RUN: ${r.error}`]
    : [r.setup, String(r.processes), fmt(r.events), fmt(r.eventsPerSec), level ? `${(r.eventsPerSec! / level.eventsPerSec!).toFixed(2)}×` : '-',
      fmt(r.p50Ms, 2), fmt(r.p99Ms, 2), fmt(r.bridgeCpuUsPerEvent, 1), fmt(r.dbCpuUsPerEvent, 1), fmt(total(r), 1),
      level ? `${(total(r) / total(level)).toFixed(2)}×` : '-', fmt(r.refusals), r.check ?? '']);
  const failHeader = ['run', 'mode', 'kill -9 → survivor\'s first event (ms)', 'check'];
  const failLines = failoverRuns.map((f) => [String(f.run), f.mode, f.ms === undefined ? '-' : fmt(f.ms), f.check]);
  const note = `${cpus().length} CPUs, Node ${process.version}, 1-min load average ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} during the run; `
    + `${events} events at ${perTxn} per transaction, ${connections} connections, ${rooms} rooms; PostgreSQL with fsync on.`;
  console.log(`\n${table([header, ...lines])}\n\n${failLines.length > 0 ? `${table([failHeader, ...failLines])}\n\n` : ''}${note}`);
  const results = join(ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, 'cluster-latest.json'), JSON.stringify({ date: new Date().toISOString(), note, rows, failover: failoverRuns }, null, 2));
  writeFileSync(join(results, 'cluster-latest.md'), `### Several processes on PostgreSQL\n\n${markdownTable([header, ...lines])}\n\n`
    + `${failLines.length > 0 ? `Failover:\n\n${markdownTable([failHeader, ...failLines])}\n\n` : ''}${note}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
