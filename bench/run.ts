/**
 * `npm run bench` (issue #7): bridgekit side by side with matrix-appservice-bridge,
 * matrix-bot-sdk and a bare `node:http` server, in one run on one machine.
 *
 *  1. ingest: events/s, p50/p99 latency, server CPU µs/event and peak RSS for transactions
 *     of 1 and 50 message events (Synapse 1.94's shape, unique ids) over 10 keep-alive
 *     connections, each server's handler counting what it received (and checked: every
 *     acknowledged event handled exactly once).
 *  2. room state: 1,000 rooms × 200 m.room.member joins (plus each room's create, creator
 *     join, power levels and join rules), sent through each framework's transaction
 *     endpoint so that its own state handling runs; time until the last event was handled,
 *     RSS and heap growth (after a full GC, before vs after), and a check of what it kept;
 *     by default after a warm-up of the same size on other rooms, whose growth is "cold".
 *
 * Every server × scenario runs in a fresh child process (`bench/servers.ts`), the load
 * generator here. The peers are installed under bench/peers/ on first run (see peers.ts);
 * a peer that cannot install or start gets its reason in its row, never a number.
 *
 * Environment (all optional):
 *   BENCH_SECONDS=4            measured seconds per ingest scenario
 *   BENCH_WARMUP=1             warm-up seconds per ingest scenario (not measured)
 *   BENCH_CONNECTIONS=10       keep-alive connections (concurrent senders), both benchmarks
 *   BENCH_SIZES=1,50           events per transaction, one ingest scenario each
 *   BENCH_ROOMS=100            rooms the ingest messages are spread over
 *   BENCH_SERVERS=bridgekit,matrix-appservice-bridge,matrix-appservice-bridge+noContext,matrix-bot-sdk,bare   (ingest)
 *   BENCH_STATE_SERVERS=bridgekit,matrix-appservice-bridge,matrix-appservice-bridge+noContext,
 *                       matrix-bot-sdk,matrix-bot-sdk+storage,bare             (room state)
 *     (servers.ts lists them all; also matrix-appservice-bridge[+noContext]+StateLookup)
 *   BENCH_STATE_ROOMS=1000     BENCH_STATE_JOINS=200     BENCH_STATE_USERS=20000
 *   BENCH_STATE_TXN=50         events per transaction in the room-state run
 *   BENCH_STATE_CAP=75         seconds a room-state phase may take; a server still sending or
 *                              handling then is reported NOT FINISHED with what it did
 *   BENCH_STATE_WARMUP=1       0: no warm-up. 1: the same load on other rooms first, handled, so
 *                              that the measured growth is what the rooms cost a process past
 *                              its fixed costs (V8's young generation, LevelDB's buffers); the
 *                              warm-up's own growth is reported as "cold"
 *   BENCH_ONLY=ingest|state    run one benchmark
 *   BENCH_LOG_LEVEL=info       bridgekit's log level (info = the shipped default; to /dev/null)
 *   BENCH_PEER_LOG=default     quiet: matrix-bot-sdk's LogService at WARN instead of its INFO default
 *   BENCH_STORE_DIR=$TMPDIR   where bridgekit's Level store goes; BENCH_SYNC=1: fsync each batch
 *   BENCH_STORE_CACHE_MB, BENCH_STORE_WRITE_BUFFER_MB   bridgekit's LevelDB block cache and memtable (config store.cacheBytes / writeBufferBytes; default 2 and 4)
 *   BENCH_PEERS_INSTALL=1      0: do not install missing peers (their rows say so)
 *   BENCH_MAX_TXNS=5000000     bound on transactions per ingest scenario
 *   BENCH_CATCH_UP=90          seconds an ingest server may take after the window to handle what
 *                              it acknowledged (events/s then counts what it handled by then; a
 *                              server whose handling slows down as its backlog grows looks much
 *                              worse with a short wait, so the default waits)
 *   BENCH_PROFILE=<server,...> run those servers' children with --cpu-prof (bench/results/profiles/;
 *                              summarise with `node dist/bench/cpuprofile.js <file>`)
 * Results: the tables on stdout, bench/results/run-latest.json (and run-latest.md, the
 * same tables in Markdown for docs/performance.md).
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import {
  env, finishChild, fmt, markdownTable, requestBaseline, ROOT, runIngest, runLoad, startChild, stateWorkload, table, waitExit,
  type IngestResult, type MemorySample, type ServerStats, type StateShape,
} from './harness.js';
import { ensurePeersInstalled, installedVersion, PEER_PACKAGES, type PeerPackage } from './peers.js';

const LABELS: Record<string, string> = {
  bridgekit: 'bridgekit',
  'matrix-appservice-bridge': 'matrix-appservice-bridge',
  'matrix-appservice-bridge+StateLookup': 'matrix-appservice-bridge + StateLookup',
  'matrix-appservice-bridge+noContext': 'matrix-appservice-bridge, disableContext',
  'matrix-appservice-bridge+noContext+StateLookup': 'matrix-appservice-bridge, disableContext + StateLookup',
  'matrix-bot-sdk': 'matrix-bot-sdk',
  'matrix-bot-sdk+storage': 'matrix-bot-sdk + members in storage',
  bare: 'node:http (bare)',
};

/** The peer package a server needs, if any. */
function packageOf(server: string): PeerPackage | undefined {
  return PEER_PACKAGES.find((p) => server === p || server.startsWith(`${p}+`));
}

function list(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback).split(',').map((s) => s.trim()).filter((s) => s !== '');
}

interface Config {
  seconds: number;
  warmupSeconds: number;
  connections: number;
  sizes: number[];
  rooms: number;
  maxTxns: number;
  drainTimeoutMs: number;
  servers: string[];
  stateServers: string[];
  state: StateShape;
  stateEventsPerTxn: number;
  /** Seconds a room-state run may take (sending and handling); a server still busy then is reported as not finished. */
  stateCapSeconds: number;
  /** Send the same load on other rooms first, and measure the growth after it as well as its own. */
  stateWarmup: boolean;
  only: string | undefined;
}

interface Failed { server: string; error: string }

interface StateResult extends Growth {
  server: string;
  version?: string;
  events: number;
  /** Every event acknowledged and handled within the cap. */
  finished: boolean;
  acked: number;
  handled: number;
  seconds: number;
  /** Events handled per second (of `seconds`). */
  eventsPerSec: number;
  /** Until the last transaction was answered (bridgekit and matrix-appservice-bridge handle after answering). */
  ackSeconds: number;
  /** Memory before the measured rooms (after the warm-up, when there is one). */
  baseline: MemorySample;
  end: MemorySample;
  /** The warm-up's own growth, from the fresh process: what the same rooms cost a cold one. */
  cold?: Growth & { finished: boolean };
  peakRssMb: number;
  serverCpuUsPerEvent: number;
  errors: number;
  correct: boolean;
  stateCheck: string;
  server_stats: ServerStats;
}

interface Growth {
  rssGrowthMb: number;
  /** The anonymous part of the RSS growth (Linux), i.e. without file-backed pages (mmapped files). */
  anonGrowthMb?: number;
  heapGrowthMb: number;
}

type Row<T> = T | Failed;
const failed = <T extends object>(row: Row<T>): row is Failed => 'error' in row;

/** The first line of an error, without the stack. */
function reason(err: unknown): string {
  const text = String((err as Error)?.message ?? err);
  return text.split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 200) ?? text;
}

/** Growth between two memory samples (after − before, MB). */
function growth(before: MemorySample, after: MemorySample): Growth {
  const out: Growth = { rssGrowthMb: after.rssMb - before.rssMb, heapGrowthMb: after.heapUsedMb - before.heapUsedMb };
  if (after.rssAnonMb !== undefined && before.rssAnonMb !== undefined) out.anonGrowthMb = after.rssAnonMb - before.rssAnonMb;
  return out;
}

async function runState(server: string, config: Config, index: number): Promise<StateResult> {
  const { state } = config;
  const { child, port, version } = await startChild(server, ['--mode', 'state',
    '--rooms', String(state.rooms), '--joins', String(state.joins), '--users', String(state.users)], profileOptions(server, `run-state-${server}`));
  try {
    const workload = stateWorkload(state, config.connections, config.stateEventsPerTxn);
    const send = (phase: ReturnType<typeof stateWorkload>, prefix: string, started: number) => runLoad({
      port, connections: config.connections, windowStart: started, windowEnd: Infinity, maxTxns: Number.MAX_SAFE_INTEGER,
      txnPrefix: prefix, next: (conn, t) => phase.next(conn, t), stopAt: started + config.stateCapSeconds * 1000,
    });
    let { memory: baseline } = await requestBaseline(child);
    // The warm-up: the same load on other rooms (fresh ids), handled, before the measured one.
    let cold: StateResult['cold'];
    let warmEvents = 0;
    if (config.stateWarmup) {
      const warm = stateWorkload(state, config.connections, config.stateEventsPerTxn, { rooms: state.rooms, events: workload.total });
      const started = performance.now();
      const warmLoad = await send(warm, `warm${index}`, started);
      const settled = await requestBaseline(child, Math.max(1_000, started + config.stateCapSeconds * 1000 - performance.now()));
      cold = { ...growth(baseline, settled.memory), finished: warmLoad.ackedEvents === warm.total && settled.drained };
      baseline = settled.memory;
      warmEvents = warm.total;
    }
    child.send({ type: 'window-start' });
    const started = performance.now();
    const startedAtMs = performance.timeOrigin + started;
    const stopAt = started + config.stateCapSeconds * 1000;
    // A warm-up that did not finish leaves nothing to measure: its backlog would be in every figure.
    const load = cold?.finished === false ? undefined : await send(workload, `state${index}`, started);
    const ackSeconds = (performance.now() - started) / 1000;
    // The child closes the CPU window once its handler has caught up (drain, within the cap), then measures.
    const stats = await finishChild(child, Math.max(1_000, stopAt - performance.now()));
    await waitExit(child);
    const end = stats.end!;
    const lastHandled = stats.lastHandledAtMs ?? 0;
    const counted = (stats.handled ?? stats.accepted) - warmEvents;
    const acked = load?.ackedEvents ?? 0;
    const finished = acked === workload.total && counted === workload.total && stats.drained !== false;
    const seconds = finished
      ? (lastHandled > 0 ? Math.max(ackSeconds, (lastHandled - startedAtMs) / 1000) : ackSeconds)
      : (performance.timeOrigin + performance.now() - startedAtMs) / 1000;
    // Exactly once for what was handled; the state check only means something when all was handled.
    const correct = (stats.handledTwice ?? 0) === 0 && (stats.handledDistinct === undefined || stats.handledDistinct === counted + warmEvents)
      && counted <= stats.accepted - warmEvents && (!finished || (stats.accepted === workload.total + warmEvents && stats.stateCheck?.ok !== false));
    const result: StateResult = {
      server,
      events: workload.total,
      finished,
      acked,
      handled: counted,
      seconds,
      eventsPerSec: counted / seconds,
      ackSeconds,
      baseline,
      end,
      ...growth(baseline, end),
      peakRssMb: stats.peakRssMb,
      serverCpuUsPerEvent: stats.cpuMicros / workload.total,
      errors: load?.errors ?? 0,
      correct,
      stateCheck: stats.stateCheck?.detail ?? '',
      server_stats: stats,
    };
    if (cold) result.cold = cold;
    if (version !== undefined) result.version = version;
    return result;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** BENCH_PROFILE=<server>[,<server>]: that server's children run with --cpu-prof (bench/results/profiles/). */
function profileOptions(server: string, tag: string): { profileTag?: string } {
  const wanted = list('BENCH_PROFILE', '');
  return wanted.includes(server) ? { profileTag: `${tag}-${new Date().toISOString().replace(/[:.]/g, '-')}` } : {};
}

function ratioText(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return value >= 10 ? `${value.toFixed(0)}×` : value >= 0.995 ? `${value.toFixed(2)}×` : `${value.toFixed(2)}×`;
}

async function main(): Promise<void> {
  const config: Config = {
    seconds: env('BENCH_SECONDS', 4),
    warmupSeconds: env('BENCH_WARMUP', 1),
    connections: Math.max(1, Math.floor(env('BENCH_CONNECTIONS', 10))),
    sizes: list('BENCH_SIZES', '1,50').map((s) => Math.max(1, Math.floor(Number(s)))).filter(Number.isFinite),
    rooms: Math.max(1, Math.floor(env('BENCH_ROOMS', 100))),
    maxTxns: Math.max(1, Math.floor(env('BENCH_MAX_TXNS', 5_000_000))),
    drainTimeoutMs: Math.max(1, env('BENCH_CATCH_UP', 90)) * 1000,
    servers: list('BENCH_SERVERS', 'bridgekit,matrix-appservice-bridge,matrix-appservice-bridge+noContext,matrix-bot-sdk,bare'),
    stateServers: list('BENCH_STATE_SERVERS',
      'bridgekit,matrix-appservice-bridge,matrix-appservice-bridge+noContext,matrix-bot-sdk,matrix-bot-sdk+storage,bare'),
    state: {
      rooms: Math.max(1, Math.floor(env('BENCH_STATE_ROOMS', 1000))),
      joins: Math.max(1, Math.floor(env('BENCH_STATE_JOINS', 200))),
      users: Math.max(1, Math.floor(env('BENCH_STATE_USERS', 20_000))),
    },
    stateEventsPerTxn: Math.max(1, Math.floor(env('BENCH_STATE_TXN', 50))),
    stateCapSeconds: Math.max(1, env('BENCH_STATE_CAP', 75)),
    stateWarmup: process.env['BENCH_STATE_WARMUP'] !== '0',
    only: process.env['BENCH_ONLY'] || undefined,
  };
  if (config.seconds <= 0) throw new Error('BENCH_SECONDS must be > 0');
  if (config.state.joins > config.state.users) throw new Error('BENCH_STATE_JOINS must be ≤ BENCH_STATE_USERS (joins in a room are distinct users)');
  for (const s of [...config.servers, ...config.stateServers]) if (!(s in LABELS)) throw new Error(`unknown server '${s}' (one of ${Object.keys(LABELS).join(', ')})`);
  const log = (line: string) => process.stdout.write(line + '\n');
  const label = (s: string) => LABELS[s] ?? s;
  const runStarted = performance.now();

  // Load average through the run (the machine is shared: it says how much the numbers can be trusted).
  const loadSamples: number[] = [loadavg()[0]!];
  const loadTimer = setInterval(() => loadSamples.push(loadavg()[0]!), 5_000);
  loadTimer.unref();
  if (loadSamples[0]! > cpus().length / 2) {
    log(`warning: 1-min load average is ${loadSamples[0]!.toFixed(2)} on ${cpus().length} CPUs before starting: other work on this machine will skew events/s (CPU µs/event much less)`);
  }

  const needed = new Set([...config.servers, ...config.stateServers].map(packageOf).filter((p): p is PeerPackage => p !== undefined));
  const installReasons = needed.size > 0 ? ensurePeersInstalled(log) : {} as Record<PeerPackage, string | undefined>;
  const versions: Record<string, string | undefined> = { node: process.version };
  for (const p of PEER_PACKAGES) versions[p] = installedVersion(p);
  const unavailable = (server: string): string | undefined => {
    const p = packageOf(server);
    return p ? installReasons[p] : undefined;
  };
  log(`bench — ${cpus().length} CPUs, Node ${process.version}, peers: ${PEER_PACKAGES.map((p) => `${p} ${versions[p] ?? '(missing)'}`).join(', ')}`);

  // ----- ingest
  const ingest: Array<Row<IngestResult>> = [];
  let index = 0;
  if (config.only !== 'state') {
    log(`ingest — ${config.connections} keep-alive connections, ${config.warmupSeconds} s warm-up + ${config.seconds} s measured per run, `
      + `${config.rooms} rooms, bridgekit log level ${process.env['BENCH_LOG_LEVEL'] ?? 'info'}`);
    for (const size of config.sizes) {
      for (const server of config.servers) {
        const why = unavailable(server);
        if (why) { ingest.push({ server: `${server}@${size}`, error: why }); continue; }
        log(`  ${label(server)}, ${size} event(s)/txn ...`);
        try {
          ingest.push(await runIngest(server, size, config, index++, profileOptions(server, `run-ingest-${server}-${size}ev`)));
        } catch (err) {
          log(`    failed: ${reason(err)}`);
          ingest.push({ server: `${server}@${size}`, error: reason(err) });
        }
      }
    }
  }

  // ----- room state
  const stateRows: Array<Row<StateResult>> = [];
  if (config.only !== 'ingest') {
    const { rooms, joins, users } = config.state;
    log(`room state — ${fmt(rooms)} rooms × ${fmt(joins)} joins (+4 head events per room) from ${fmt(users)} users, `
      + `${config.stateEventsPerTxn} events/txn over ${config.connections} connections (a room's events on one connection, in order)`);
    for (const server of config.stateServers) {
      const why = unavailable(server);
      if (why) { stateRows.push({ server, error: why }); continue; }
      log(`  ${label(server)} ...`);
      try {
        stateRows.push(await runState(server, config, index++));
      } catch (err) {
        log(`    failed: ${reason(err)}`);
        stateRows.push({ server, error: reason(err) });
      }
    }
  }
  clearInterval(loadTimer);
  loadSamples.push(loadavg()[0]!);

  // ----- tables
  const ingestRows: string[][] = [[
    'server', 'ev/txn', 'events/s', 'acked/s', 'p50 ms', 'p99 ms', 'CPU µs/ev', 'peak RSS MB', 'backlog', 'catch-up s', 'bridgekit/this ev/s', 'this/bridgekit CPU/ev', 'check',
  ]];
  const ingestRatios: Array<{ eventsPerTxn: number; peer: string; eventsPerSec: number; perCpu: number; target?: number; met?: boolean }> = [];
  for (const size of config.sizes) {
    const kit = ingest.find((r): r is IngestResult => !failed(r) && r.server === 'bridgekit' && r.eventsPerTxn === size);
    for (const server of config.servers) {
      const row = ingest.find((r) => (failed(r) ? r.server === `${server}@${size}` : r.server === server && r.eventsPerTxn === size));
      if (!row) continue;
      if (failed(row)) {
        ingestRows.push([label(server), String(size), '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', `did not run: ${row.error}`]);
        continue;
      }
      let evRatio = NaN;
      let cpuRatio = NaN;
      if (kit && server !== 'bridgekit') {
        evRatio = kit.handledPerSec / row.handledPerSec;
        cpuRatio = row.cpuUsPerHandledEvent / kit.cpuUsPerHandledEvent;
        const target = server.startsWith('matrix-appservice-bridge') ? 3 : server === 'bare' ? 0.5 : undefined;
        const entry: (typeof ingestRatios)[number] = { eventsPerTxn: size, peer: server, eventsPerSec: evRatio, perCpu: cpuRatio };
        if (target !== undefined) { entry.target = target; entry.met = evRatio >= target; }
        ingestRatios.push(entry);
      }
      ingestRows.push([label(server), String(size), fmt(row.handledPerSec), fmt(row.eventsPerSec), fmt(row.p50Ms, 2), fmt(row.p99Ms, 2),
        fmt(row.cpuUsPerHandledEvent, 1), fmt(row.peakRssMb, 0), fmt(row.server_stats.backlogAtWindowEnd),
        row.caughtUp ? fmt(row.catchUpSeconds, 1) : `>${fmt(config.drainTimeoutMs / 1000)}`,
        ratioText(evRatio), ratioText(cpuRatio),
        !row.correct ? 'FAILED' + (row.errors ? ` (${row.errors} errors)` : '')
          : row.caughtUp ? 'ok' : `ok; ${fmt(row.server_stats.accepted - (row.server_stats.handled ?? 0))} still unhandled after ${fmt(config.drainTimeoutMs / 1000)} s`]);
    }
  }

  const stateTable: string[][] = [[
    'server', 'time s', 'events/s', 'RSS growth MB', 'anon MB', 'heap growth MB', 'peak RSS MB', 'CPU µs/ev', 'bridgekit/this RSS growth', 'anon', 'heap', 'time',
    'cold: RSS growth MB', 'anon MB', 'bridgekit/this RSS growth', 'anon', 'what it kept',
  ]];
  const stateRatios: Array<{
    peer: string; rssGrowth: number; anonGrowth: number; heapGrowth: number; time: number; coldRssGrowth: number; coldAnonGrowth: number;
    target?: number; met?: boolean; coldMet?: boolean;
  }> = [];
  const kitState = stateRows.find((r): r is StateResult => !failed(r) && r.server === 'bridgekit');
  // A server whose warm-up did not finish was never measured warm: its warm columns are empty.
  const measured = (r: StateResult) => r.cold?.finished !== false;
  for (const row of stateRows) {
    if (failed(row)) {
      stateTable.push([label(row.server), ...Array<string>(15).fill('-'), `did not run: ${row.error}`]);
      continue;
    }
    let rssRatio = NaN;
    let anonRatio = NaN;
    let heapRatio = NaN;
    let timeRatio = NaN;
    let coldRssRatio = NaN;
    let coldAnonRatio = NaN;
    if (kitState && row.server !== 'bridgekit') {
      if (measured(kitState) && measured(row)) {
        rssRatio = kitState.rssGrowthMb / row.rssGrowthMb;
        anonRatio = (kitState.anonGrowthMb ?? NaN) / (row.anonGrowthMb ?? NaN);
        heapRatio = kitState.heapGrowthMb / row.heapGrowthMb;
        timeRatio = kitState.seconds / row.seconds;
      }
      coldRssRatio = (kitState.cold?.rssGrowthMb ?? NaN) / (row.cold?.rssGrowthMb ?? NaN);
      coldAnonRatio = (kitState.cold?.anonGrowthMb ?? NaN) / (row.cold?.anonGrowthMb ?? NaN);
      const entry: (typeof stateRatios)[number] = {
        peer: row.server, rssGrowth: rssRatio, anonGrowth: anonRatio, heapGrowth: heapRatio, time: timeRatio, coldRssGrowth: coldRssRatio, coldAnonGrowth: coldAnonRatio,
      };
      if (row.server.startsWith('matrix-appservice-bridge') && !row.server.includes('StateLookup')) {
        entry.target = 1 / 3;
        if (measured(kitState) && measured(row)) entry.met = rssRatio <= 1 / 3;
        if (row.cold) entry.coldMet = coldRssRatio <= 1 / 3;
      }
      stateRatios.push(entry);
    }
    // A growth near zero (the bare floor) makes a ratio meaningless.
    const shown = (ratio: number, growth: number | undefined) => ((growth ?? 0) > 5 ? ratioText(ratio) : '-');
    const kept = row.finished ? row.stateCheck
      : row.cold?.finished === false ? `NOT FINISHED: the warm-up took over ${config.stateCapSeconds} s (cold: memory includes the backlog)`
      : `NOT FINISHED within ${config.stateCapSeconds} s: ${fmt(row.acked)} acked, ${fmt(row.handled)} handled of ${fmt(row.events)}`
        + ` (memory includes the backlog)`;
    const warm = measured(row)
      ? [(row.finished ? '' : '>') + fmt(row.seconds, 1), fmt(row.eventsPerSec), fmt(row.rssGrowthMb, 1), fmt(row.anonGrowthMb, 1), fmt(row.heapGrowthMb, 1)]
      : Array<string>(5).fill('-');
    stateTable.push([label(row.server), ...warm, fmt(row.peakRssMb, 0), measured(row) ? fmt(row.serverCpuUsPerEvent, 1) : '-',
      shown(rssRatio, row.rssGrowthMb), shown(anonRatio, row.anonGrowthMb), shown(heapRatio, row.heapGrowthMb),
      Number.isNaN(timeRatio) ? '-' : (row.finished ? '' : '<') + ratioText(timeRatio),
      fmt(row.cold?.rssGrowthMb, 1), fmt(row.cold?.anonGrowthMb, 1), shown(coldRssRatio, row.cold?.rssGrowthMb), shown(coldAnonRatio, row.cold?.anonGrowthMb),
      (row.correct ? '' : 'FAILED: ') + kept]);
  }

  const lines: string[] = [];
  const loadSummary = `1-min load average ${Math.min(...loadSamples).toFixed(2)}–${Math.max(...loadSamples).toFixed(2)} `
    + `(mean ${(loadSamples.reduce((a, b) => a + b, 0) / loadSamples.length).toFixed(2)}) on ${cpus().length} CPUs`;
  if (ingest.length > 0) {
    lines.push('', 'INGEST (events/s and latency: higher/lower is better; ratios are bridgekit ÷ peer for events/s, peer ÷ bridgekit for CPU µs/event)');
    lines.push(table(ingestRows, 1));
    for (const r of ingestRatios.filter((x) => x.target !== undefined)) {
      lines.push(`  target at ${r.eventsPerTxn} ev/txn: bridgekit ≥ ${r.target}× ${label(r.peer)}: ${ratioText(r.eventsPerSec)} — ${r.met ? 'MET' : 'NOT MET'}`
        + ` (per server CPU: ${ratioText(r.perCpu)})`);
    }
  }
  if (stateRows.length > 0) {
    lines.push('', `ROOM STATE (${fmt(config.state.rooms)} rooms × ${fmt(config.state.joins)} joins; growth = after − before, each after a full GC; ratios bridgekit ÷ peer, lower is better;`
      + (config.stateWarmup ? ' measured after a warm-up of the same load on other rooms; cold: the warm-up\'s own growth from a fresh process)' : ' no warm-up)'));
    lines.push(table(stateTable, 1));
    for (const r of stateRatios.filter((x) => x.target !== undefined)) {
      const row = stateRows.find((x): x is StateResult => !failed(x) && x.server === r.peer);
      lines.push(`  target: bridgekit RSS growth ≤ 1/3 of ${label(r.peer)}'s: `
        + (r.met === undefined ? 'not measured warm (the warm-up did not finish)'
          : `${ratioText(r.rssGrowth)} — ${r.met ? 'MET' : 'NOT MET'} (anonymous RSS only: ${ratioText(r.anonGrowth)}; JS heap: ${ratioText(r.heapGrowth)})`)
        + (r.coldMet === undefined ? '' : `; cold: ${ratioText(r.coldRssGrowth)} — ${r.coldMet ? 'MET' : 'NOT MET'} (anonymous: ${ratioText(r.coldAnonGrowth)})`)
        + (row && !row.finished ? ' (but that run did not finish: its memory is mostly unhandled backlog, not room state)' : ''));
    }
  }
  lines.push('', `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${loadSummary}; `
    + `run took ${((performance.now() - runStarted) / 1000).toFixed(0)} s`);
  for (const line of lines) log(line);

  let commit: string | undefined;
  try { commit = execSync('git rev-parse --short HEAD', { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { /* not a checkout */ }
  let dirtySrc = false;
  try { dirtySrc = execSync('git status --porcelain -- src', { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== ''; } catch { /* idem */ }

  const markdown = [
    ingest.length > 0 ? `### Ingest\n\n${markdownTable(ingestRows, 1)}\n` : '',
    stateRows.length > 0 ? `### Room state (${fmt(config.state.rooms)} rooms × ${fmt(config.state.joins)} joins)\n\n${markdownTable(stateTable, 1)}\n` : '',
    `${cpus().length} CPUs, Node ${process.version}, ${loadSummary}; bridgekit ${commit ?? '?'}${dirtySrc ? ' + uncommitted src/ changes' : ''}; `
    + PEER_PACKAGES.map((p) => `${p} ${versions[p] ?? '(missing)'}`).join(', ') + '.',
  ].filter((s) => s !== '').join('\n');

  const output = {
    benchmark: 'run',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: totalmem() / 2 ** 30, node: process.version },
    bridgekit: { commit, uncommittedSrcChanges: dirtySrc },
    versions,
    loadAverage1m: { samples: loadSamples, min: Math.min(...loadSamples), max: Math.max(...loadSamples) },
    config: {
      ...config, logLevel: process.env['BENCH_LOG_LEVEL'] ?? 'info', peerLog: process.env['BENCH_PEER_LOG'] ?? 'default',
      storeDir: process.env['BENCH_STORE_DIR'] || 'tmpdir', sync: process.env['BENCH_SYNC'] === '1',
    },
    ingest: { results: ingest, ratios: ingestRatios },
    roomState: { results: stateRows, ratios: stateRatios },
    runSeconds: (performance.now() - runStarted) / 1000,
    markdown,
  };
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'run-latest.json'), JSON.stringify(output, null, 2) + '\n');
  writeFileSync(join(outDir, 'run-latest.md'), markdown + '\n');
  log(`results written to ${relative(process.cwd(), join(outDir, 'run-latest.json'))} (Markdown tables: run-latest.md)`);

  const broken = [...ingest, ...stateRows].filter((r) => !failed(r) && !r.correct);
  if (broken.length > 0) {
    log(`CORRECTNESS CHECK FAILED for: ${broken.map((r) => label(r.server)).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
