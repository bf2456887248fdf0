/**
 * `npm run bench:ingest` (issue #2): how fast the durable ingest path takes transactions,
 * side by side with a bare `node:http` server that only parses the JSON and answers 200.
 *
 * Each server runs in its own child process (its own RSS, CPU and event loop); the load
 * generator runs here, in the parent: N keep-alive connections (10, like 10 homeservers),
 * each sending transactions back to back with unique txnIds and event_ids, on loopback
 * only, for a warm-up and then a measured window. Every server × scenario gets a fresh
 * child (and for bridgekit a fresh Level store in a temp directory).
 *
 * The bridgekit run is also a correctness smoke test: every event in a transaction
 * answered 200 must reach the handler exactly once.
 *
 * Environment (all optional):
 *   BENCH_SECONDS=8          measured seconds per scenario
 *   BENCH_WARMUP=2           warm-up seconds per scenario (not measured)
 *   BENCH_CONNECTIONS=10     keep-alive connections (concurrent senders)
 *   BENCH_SIZES=1,50         events per transaction, one scenario each
 *   BENCH_SERVERS=bare,bridgekit
 *   BENCH_ROOMS=100          rooms the events are spread over
 *   BENCH_LOG_LEVEL=info     bridgekit's log level (info = the shipped default; to /dev/null)
 *   BENCH_STORE_DIR=$TMPDIR where bridgekit's fresh Level store goes (e.g. /dev/shm to take the disk out)
 *   BENCH_SYNC=0             1: Level `sync: true` (fsync each batch; config `store.sync`)
 *   BENCH_PROFILE=0          1: run the bridgekit child with --cpu-prof (bench/results/profiles/)
 *   BENCH_MAX_TXNS=5000000   bound on transactions per scenario
 *   BENCH_ROUNDS=3           rounds per size, the servers alternating (bare, bridgekit, then
 *                            bridgekit, bare, …); the verdict is on the median of the rounds'
 *                            ratios, since on a shared machine one run can be slowed alone
 * Flags: --json prints the results as JSON on stdout (the table goes to stderr).
 * Results are always written to bench/results/ingest-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { env, fmt, ROOT, runIngest, table, type IngestConfig, type IngestResult } from './harness.js';

// The servers (bare, bridgekit) are in servers.ts, the load generator and instrumentation in harness.ts.

type ServerKind = 'bare' | 'bridgekit';

interface Config extends IngestConfig {
  sizes: number[];
  servers: ServerKind[];
  rounds: number;
}

type ScenarioResult = IngestResult & { round: number };

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function runParent(): Promise<void> {
  const json = process.argv.includes('--json');
  const log = (line: string) => (json ? process.stderr : process.stdout).write(line + '\n');
  const config: Config = {
    seconds: env('BENCH_SECONDS', 8),
    warmupSeconds: env('BENCH_WARMUP', 2),
    connections: Math.max(1, Math.floor(env('BENCH_CONNECTIONS', 10))),
    sizes: (process.env['BENCH_SIZES'] ?? '1,50').split(',').map((s) => Math.max(1, Math.floor(Number(s)))).filter(Number.isFinite),
    servers: (process.env['BENCH_SERVERS'] ?? 'bare,bridgekit').split(',').map((s) => s.trim())
      .filter((s): s is ServerKind => s === 'bare' || s === 'bridgekit'),
    rooms: Math.max(1, Math.floor(env('BENCH_ROOMS', 100))),
    maxTxns: Math.max(1, Math.floor(env('BENCH_MAX_TXNS', 5_000_000))),
    rounds: Math.max(1, Math.floor(env('BENCH_ROUNDS', 3))),
  };
  if (config.seconds <= 0) throw new Error('BENCH_SECONDS must be > 0');
  const { cpus, loadavg } = await import('node:os');
  const loadBefore = loadavg()[0]!;
  if (loadBefore > cpus().length / 2) {
    log(`warning: 1-min load average is ${loadBefore.toFixed(2)} on ${cpus().length} CPUs before starting: other work on this machine will skew the numbers`);
  }
  log(`bench:ingest — ${config.connections} keep-alive connections, ${config.warmupSeconds} s warm-up + ${config.seconds} s measured per run, ${config.rounds} round(s), `
    + `${config.rooms} rooms, bridgekit log level ${process.env['BENCH_LOG_LEVEL'] ?? 'info'}, Level sync ${process.env['BENCH_SYNC'] === '1'}`);

  const results: ScenarioResult[] = [];
  let index = 0;
  for (const eventsPerTxn of config.sizes) {
    for (let round = 1; round <= config.rounds; round++) {
      // Alternating the order, so that a machine slowing down over a round hits both alike.
      for (const server of round % 2 === 1 ? config.servers : [...config.servers].reverse()) {
        log(`  running ${server}, ${eventsPerTxn} event(s)/txn, round ${round} ...`);
        const tag = `ingest-${server}-${eventsPerTxn}ev-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        const profileTag = server === 'bridgekit' && process.env['BENCH_PROFILE'] === '1' ? tag : undefined;
        const result = await runIngest(server, eventsPerTxn, config, index++, profileTag ? { profileTag } : {});
        results.push({ ...result, round });
      }
    }
  }

  const rows: string[][] = [[
    'server', 'events/txn', 'round', 'txn/s', 'events/s', 'p50 ms', 'p99 ms', 'max ms', 'peak RSS MB', 'srv CPU%', 'srv CPU µs/ev', 'gen CPU%', 'errors',
  ]];
  for (const r of results) {
    rows.push([r.server, String(r.eventsPerTxn), String(r.round), fmt(r.txnsPerSec), fmt(r.eventsPerSec), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2),
      fmt(r.maxMs, 1), fmt(r.peakRssMb, 1), fmt(r.serverCpuPct), fmt(r.serverCpuUsPerEvent, 1), fmt(r.loadGenCpuPct), String(r.errors)]);
  }
  log('');
  log(table(rows));
  log('');

  /**
   * Per round: bridgekit's events/s ÷ bare's, and bare's server CPU per event ÷ bridgekit's
   * (the same comparison per core). The verdict is on the median round.
   */
  const ratios: Array<{ eventsPerTxn: number; ratio: number; cpuRatio: number; rounds: number[]; target?: number; met?: boolean }> = [];
  for (const size of config.sizes) {
    const perRound: Array<{ ratio: number; cpuRatio: number }> = [];
    for (let round = 1; round <= config.rounds; round++) {
      const bare = results.find((r) => r.server === 'bare' && r.eventsPerTxn === size && r.round === round);
      const kit = results.find((r) => r.server === 'bridgekit' && r.eventsPerTxn === size && r.round === round);
      if (bare && kit) perRound.push({ ratio: kit.eventsPerSec / bare.eventsPerSec, cpuRatio: bare.serverCpuUsPerEvent / kit.serverCpuUsPerEvent });
    }
    if (perRound.length === 0) continue;
    const ratio = median(perRound.map((r) => r.ratio));
    const cpuRatio = median(perRound.map((r) => r.cpuRatio));
    const entry: (typeof ratios)[number] = { eventsPerTxn: size, ratio, cpuRatio, rounds: perRound.map((r) => r.ratio) };
    if (size === 50) { entry.target = 0.5; entry.met = ratio >= 0.5; }
    ratios.push(entry);
    log(`bridgekit/bare events/s at ${size} event(s)/txn: median ${ratio.toFixed(2)}× of rounds ${entry.rounds.map((r) => r.toFixed(2)).join(', ')}`
      + ` (per server CPU: ${cpuRatio.toFixed(2)}×)`
      + (entry.target !== undefined ? `  — target ≥ ${entry.target}×: ${entry.met ? 'MET' : 'NOT MET'}` : ''));
  }

  let allCorrect = true;
  for (const r of results.filter((x) => x.server === 'bridgekit')) {
    const s = r.server_stats;
    allCorrect &&= r.correct === true;
    log(`bridgekit ${r.eventsPerTxn} ev/txn, round ${r.round}: acked ${fmt(r.ackedEvents)}, accepted ${fmt(s.accepted)}, handled ${fmt(s.handled ?? 0)} `
      + `(distinct ${fmt(s.handledDistinct ?? 0)}, twice ${s.handledTwice}), dropped as duplicate ${s.duplicatesDropped}, `
      + `backlog at window end ${fmt(s.backlogAtWindowEnd ?? 0)}, drained in ${fmt(s.drainMs ?? NaN)} ms — ${r.correct ? 'OK' : 'FAILED'}`);
  }

  const output = {
    benchmark: 'ingest',
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadAverage1m: { before: loadBefore, after: loadavg()[0]! },
    config: { ...config, logLevel: process.env['BENCH_LOG_LEVEL'] ?? 'info', sync: process.env['BENCH_SYNC'] === '1' },
    results,
    ratios,
    correct: allCorrect,
  };
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'ingest-latest.json');
  writeFileSync(file, JSON.stringify(output, null, 2) + '\n');
  log(`results written to ${resolve(file)}`);
  if (json) process.stdout.write(JSON.stringify(output, null, 2) + '\n');
  if (!allCorrect) {
    log('CORRECTNESS CHECK FAILED: some acknowledged events were not handled exactly once');
    process.exitCode = 1;
  }
}

runParent().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
