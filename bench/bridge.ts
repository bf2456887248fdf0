/**
 * `npm run bench:bridge` (issue #18): a whole bridge at full speed. `bridgekit run` with the
 * echo plugin (the real CLI, its own process, a fresh Level store, logging at info to
 * /dev/null) against a stand-in homeserver in its own process (`bridge-homeserver.ts`)
 * where the bot is joined in 100 rooms: 100,000 m.room.message events at 50 per transaction
 * over 10 keep-alive connections, every 503 retried with the same txnId and body, done when
 * every room's closing `!echo` is answered. Everything a user runs is in the path: endpoint
 * (Koa), journal, dedupe, dispatcher, mirror (state fetched from the stand-in on the first
 * event of each room), plugin host, bot commands, echo suppression, acknowledgements.
 *
 * Side by side in the same run, the same load from the same stand-in: a bare `node:http`
 * server that acknowledges it (parse, count, 200), and matrix-appservice-bridge
 * (`disableContext`) and matrix-bot-sdk delivering it to a counting handler (the peers of
 * `npm run bench`, installed under bench/peers/; `bench/servers.ts`); for those, done is
 * when their handler has counted every event. A second size (1 event per transaction, a
 * quiet homeserver) compares latency.
 *
 * Reported per server: handled events/s (all events ÷ time to done), p50/p99 transaction
 * latency (200 answers), server CPU µs per event (all its threads, start of load to done),
 * peak RSS (the process's high-water mark), and how many transactions were refused (503).
 *
 * Environment (all optional):
 *   BENCH_BRIDGE_SERVERS=bare,bridgekit,matrix-appservice-bridge+noContext,matrix-bot-sdk
 *                                    (also `bridgekit+postgres`: the store in PostgreSQL, a throwaway
 *                                    cluster with fsync on; its server's CPU is reported beside the bridge's)
 *   BENCH_BRIDGE_SIZES=50,1          events per transaction, one scenario each
 *   BENCH_BRIDGE_EVENTS=100000       events at 50 per transaction (and any size > 1)
 *   BENCH_BRIDGE_EVENTS_SMALL=10000  events at 1 per transaction
 *   BENCH_CONNECTIONS=10  BENCH_ROOMS=100
 *   BENCH_BRIDGE_ROUNDS=1            rounds, the servers' order reversed every other round
 *   BENCH_PROFILE=1                  the bridgekit child with --cpu-prof (bench/results/profiles/bridge-<size>ev.cpuprofile;
 *                                    summarise with `node dist/bench/cpuprofile.js <file>`)
 *   BENCH_LOG_LEVEL=info             bridgekit's logging.level
 *   BENCH_INBOX_CONCURRENCY=         bridgekit's inbox.concurrency (rooms handled at once; default 32)
 *   BENCH_NODE_ARGS=                 node flags for the bridgekit child (e.g. `--trace-gc --trace-gc-nvp`)
 *   BENCH_BRIDGEKIT_STDOUT=          a file for the bridgekit child's stdout (else discarded)
 *   BENCH_TIMELINE=1                 per-transaction timelines in bench/results/timeline/ (the stand-in's
 *                                    latencies and stalls; the bridgekit child with bench/latency-probe.ts:
 *                                    its requests, GC pauses, loop stalls, Level batches); read them with
 *                                    `node dist/bench/latency-timeline.js <dir> [<server>-<size>-r<round>]`;
 *                                    `load`: the stand-in's timelines only (no probe in the bridge);
 *                                    `light`: with bench/batch-probe.ts instead (GC pauses, slow Level
 *                                    batches; nothing per transaction), read with `node dist/bench/tail-causes.js`
 *   BENCH_PERF_SCHED=                seconds of `perf sched record` from 2 s into each run's load, summarised
 *                                    per thread (`bench/sched-waits.ts`: waits for a CPU over 1 ms)
 * Results: the table on stdout, bench/results/bridge-latest.json and bridge-latest.md.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPgCluster } from '../test/helpers/pg-cluster.js';
import { env, finishChild, fmt, HS_TOKEN, markdownTable, ROOT, sleep, startChild, table, timelineMode } from './harness.js';
import type { BridgeLoadResult } from './bridge-homeserver.js';
import { recordSched, summarizeSched } from './sched-waits.js';
import { ensurePeersInstalled, installedVersion, PEER_PACKAGES, type PeerPackage } from './peers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** BENCH_BRIDGEKIT_CLI: another build's `dist/src/cli/main.js` (to compare with a branch). */
const CLI = process.env['BENCH_BRIDGEKIT_CLI'] ?? join(ROOT, 'dist', 'src', 'cli', 'main.js');
/** BENCH_BRIDGEKIT_STDOUT: a file for the bridgekit child's stdout (its log, or what `--trace-gc` prints); else discarded. */
const stdoutFile = process.env['BENCH_BRIDGEKIT_STDOUT'];
const TICKS_PER_SECOND = 100; // Linux USER_HZ, the unit of /proc/<pid>/stat's times

interface Row {
  server: string;
  perTxn: number;
  round: number;
  events?: number;
  eventsPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  cpuUsPerEvent?: number;
  peakRssMb?: number;
  refusals?: number;
  check?: string;
  error?: string;
  load?: BridgeLoadResult;
}

const freePort = () => new Promise<number>((ok, fail) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => ok(port));
  }).on('error', fail);
});

/** CPU time (µs, all threads) and peak RSS (MB) of a process, from /proc. */
export function procStats(pid: number): { cpuMicros: number; peakRssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMicros: (ticks / TICKS_PER_SECOND) * 1e6, peakRssMb: Number(hwm?.[1] ?? 0) / 1024 };
}

/** CPU µs per thread name, the main thread apart (Node 20 names most of its threads `node`), from /proc/<pid>/task. */
function threadCpu(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '#');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const micros = ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
      byName.set(name, (byName.get(name) ?? 0) + micros);
    } catch {
      // the thread ended in between
    }
  }
  return byName;
}

/**
 * Waits until the bridgekit child answers its own ping with the bench's hs_token: an open
 * port alone may be another process's, which took the port between `freePort` and the
 * bridge's bind (the bridge then exits, and the load would go elsewhere).
 */
async function waitForBridge(port: number, bridge: ChildProcess, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    if (bridge.exitCode !== null || bridge.signalCode !== null) throw new BridgeDidNotStart(`bridgekit exited before answering on ${port}`);
    const answered = await fetch(`http://127.0.0.1:${port}/_matrix/app/v1/ping`, {
      method: 'POST', headers: { authorization: `Bearer ${HS_TOKEN}`, 'content-type': 'application/json' }, body: '{}',
    }).then((res) => res.ok, () => false);
    if (answered) return;
    if (performance.now() > until) throw new Error(`bridgekit did not answer on ${port} after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** The bridge could not start on its port (taken meanwhile): worth another try on another port. */
class BridgeDidNotStart extends Error {}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => child.once('exit', () => ok()));
}

/** The stand-in homeserver, listening; `start(port)` pushes the load there and resolves with what it measured. */
export async function standIn(args: string[]): Promise<{ url: string; start: (port: number) => Promise<BridgeLoadResult>; child: ChildProcess }> {
  const child = fork(join(HERE, 'bridge-homeserver.js'), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((ok, fail) => {
    child.once('message', (m: { type: string; port: number }) => (m.type === 'listening' ? ok(m.port) : fail(new Error('stand-in: no port'))));
    child.once('exit', (code) => fail(new Error(`the stand-in homeserver exited with ${code}`)));
  });
  const start = (target: number) => new Promise<BridgeLoadResult>((ok, fail) => {
    child.on('message', (m: { type: string; result?: BridgeLoadResult; error?: string }) => {
      if (m.type === 'done') ok(m.result!);
      if (m.type === 'failed') fail(new Error(m.error));
    });
    child.once('exit', (code) => fail(new Error(`the stand-in homeserver exited with ${code} before it was done`)));
    child.send({ type: 'start', port: target });
  });
  return { url: `http://127.0.0.1:${port}`, start, child };
}

/** `bridgekit run` with the echo plugin, in a fresh directory, against the stand-in. */
async function runBridgekit(perTxn: number, round: number, loadArgs: string[], onPostgres = false): Promise<Row> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runBridgekitOnce(perTxn, round, loadArgs, onPostgres);
    } catch (err) {
      if (!(err instanceof BridgeDidNotStart) || attempt === 3) throw err;
      console.log(`    ${err.message}; again on another port`);
    }
  }
}

async function runBridgekitOnce(perTxn: number, round: number, loadArgs: string[], onPostgres: boolean): Promise<Row> {
  const dir = await mkdtemp(join(tmpdir(), 'bridgekit-bench-bridge-'));
  const cluster = onPostgres ? await startPgCluster({ durable: true }) : undefined;
  const dbCpu = () => (cluster ? cluster.pids().reduce((sum, pid) => { try { return sum + procStats(pid).cpuMicros; } catch { return sum; } }, 0) : 0);
  const hs = await standIn([...loadArgs, '--echo', '--bot', '@echobot:localhost']);
  const port = await freePort();
  writeFileSync(join(dir, 'registration.yaml'), [
    'id: benchbridge', `url: http://127.0.0.1:${port}`, `as_token: bench-as-token-${process.pid}`, `hs_token: ${HS_TOKEN}`,
    'sender_localpart: echobot', 'namespaces:', '  users: [{ exclusive: true, regex: "@_echo_.*:localhost" }]',
    '  aliases: [{ exclusive: true, regex: "#_echo_.*:localhost" }]', '  rooms: []', 'rate_limited: false', '',
  ].join('\n'));
  writeFileSync(join(dir, 'config.yaml'), [
    'homeserver:', `  url: ${hs.url}`, '  domain: localhost',
    'appservice:', '  id: benchbridge', `  url: http://127.0.0.1:${port}`, '  bind: 127.0.0.1', `  port: ${port}`,
    `  registration: ${join(dir, 'registration.yaml')}`, '  bot: echobot', '  prefix: _echo_',
    'store:', cluster ? `  url: ${cluster.url}` : `  path: ${join(dir, 'data')}`,
    ...(process.env['BENCH_STORE_WRITE_BUFFER_MB'] ? [`  writeBufferBytes: ${Number(process.env['BENCH_STORE_WRITE_BUFFER_MB']) * 1024 * 1024}`] : []),
    'bridge:', '  plugin: echo', '  config: {}',
    'bot:', '  prefix: "!"', 'metrics:', '  enabled: true', '  port: 0', 'logging:', `  level: ${process.env['BENCH_LOG_LEVEL'] ?? 'info'}`,
    ...(process.env['BENCH_INBOX_CONCURRENCY'] ? ['inbox:', `  concurrency: ${process.env['BENCH_INBOX_CONCURRENCY']}`] : []), '',
  ].join('\n'));
  const nodeArgs = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter((arg) => arg !== '');
  const name = cluster ? 'bridgekit+postgres' : 'bridgekit';
  const fullProbe = timelineFile(name, perTxn, round, 'probe');
  const batchProbe = timelineFile(name, perTxn, round, 'batches');
  const probeFile = fullProbe ?? batchProbe;
  if (probeFile) nodeArgs.push('--import', join(HERE, fullProbe ? 'latency-probe.js' : 'batch-probe.js'));
  if (process.env['BENCH_PROFILE'] === '1') {
    const profiles = join(ROOT, 'bench', 'results', 'profiles');
    mkdirSync(profiles, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profiles}`, `--cpu-prof-name=bridge-${perTxn}ev.cpuprofile`);
  }
  const bridge = spawn(process.execPath, [...nodeArgs, CLI, 'run', '-c', join(dir, 'config.yaml')], {
    cwd: ROOT, stdio: ['ignore', stdoutFile ? openSync(stdoutFile, 'w') : 'ignore', 'inherit'],
    env: probeFile ? { ...process.env, BENCH_PROBE_FILE: probeFile, BENCH_PROBE_DIST: join(dirname(CLI), '..', '..') } : process.env,
  });
  try {
    await waitForBridge(port, bridge, 30_000);
    const before = procStats(bridge.pid!);
    const dbBefore = dbCpu();
    const threadsBefore = threadCpu(bridge.pid!);
    const sched = schedRecording(name, perTxn, round);
    const load = await hs.start(port).finally(() => sched?.stop());
    const after = procStats(bridge.pid!);
    await reportSched(sched, new Map([[bridge.pid!, 'bridgekit'], [hs.child.pid!, 'stand-in']]));
    const dbPerEvent = (dbCpu() - dbBefore) / load.events;
    if (cluster) console.log(`    PostgreSQL server CPU µs/event: ${dbPerEvent.toFixed(1)} (not in the bridge's CPU column)`);
    const threads = [...threadCpu(bridge.pid!)].map(([name, micros]) => [name, (micros - (threadsBefore.get(name) ?? 0)) / load.events] as const)
      .filter(([, perEvent]) => perEvent >= 0.05).sort((a, b) => b[1] - a[1]);
    console.log(`    bridgekit CPU µs/event by thread: ${threads.map(([name, perEvent]) => `${name} ${perEvent.toFixed(1)}`).join(', ')}`);
    return {
      server: cluster ? 'bridgekit+postgres' : 'bridgekit', perTxn, round: 0, load, events: load.events, eventsPerSec: load.events / (load.elapsedMs / 1000),
      p50Ms: load.p50Ms, p99Ms: load.p99Ms, cpuUsPerEvent: (after.cpuMicros - before.cpuMicros) / load.events,
      peakRssMb: after.peakRssMb, refusals: load.refusals,
      check: (load.echoes === Number(arg(loadArgs, 'rooms')) ? `ok: ${load.echoes} rooms answered` : `${load.echoes} rooms answered`)
        + (cluster ? `; PostgreSQL ${dbPerEvent.toFixed(1)} µs/ev more` : ''),
    };
  } finally {
    bridge.kill('SIGTERM');
    await exited(bridge);
    await cluster?.stop();
    hs.child.kill();
    if (process.env['BENCH_KEEP_DIR'] === '1') console.log(`    kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

/** A server of bench/servers.ts (bare, a peer) under the same load; done when its handler counted every event. */
async function runCounting(server: string, perTxn: number, loadArgs: string[]): Promise<Row> {
  const { child, port } = await startChild(server, ['--mode', 'ingest']);
  const hs = await standIn(loadArgs);
  try {
    child.send({ type: 'window-start' });
    const sched = schedRecording(server, perTxn, 1);
    const load = await hs.start(port).finally(() => sched?.stop());
    const stats = await finishChild(child, 90_000);
    await reportSched(sched, new Map([[child.pid!, server], [hs.child.pid!, 'stand-in']]));
    const seconds = (load.elapsedMs + (stats.drainMs ?? 0)) / 1000;
    const counted = stats.handledDistinct ?? stats.accepted;
    return {
      server, perTxn, round: 0, load, events: load.events, eventsPerSec: counted / seconds, p50Ms: load.p50Ms, p99Ms: load.p99Ms,
      cpuUsPerEvent: (stats.cpuMicrosToDrained ?? stats.cpuMicros) / load.events, peakRssMb: stats.peakRssMb, refusals: load.refusals,
      check: counted === load.events && !stats.handledTwice ? `ok: ${counted} counted` : `counted ${counted}, twice ${stats.handledTwice ?? 0}`,
    };
  } finally {
    hs.child.kill();
    child.kill();
    await exited(child);
  }
}

/**
 * With BENCH_TIMELINE set, where a run's timeline goes (`load`: the stand-in's; `probe`: the
 * bridgekit child's `latency-probe.ts`; `batches`: its `batch-probe.ts`). `1`: the stand-in's
 * and the full probe; `load`: the stand-in's only; `light`: the stand-in's and the batch
 * probe. The full probe records every transaction in the bridge's heap, which changes its
 * garbage collections; the other two keep nothing per transaction there.
 */
function timelineFile(server: string, perTxn: number, round: number, what: 'load' | 'probe' | 'batches'): string | undefined {
  const mode = timelineMode();
  const wanted = what === 'load' ? mode !== undefined : what === 'probe' ? mode === '1' : mode === 'light';
  if (!wanted) return undefined;
  const dir = join(ROOT, 'bench', 'results', 'timeline');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${server}-${perTxn}-r${round}.${what}.json`);
}

/** With BENCH_PERF_SCHED=<seconds>: the kernel's scheduler events of that many seconds, from 2 s into the load (`sched-waits.ts`). */
function schedRecording(server: string, perTxn: number, round: number): ReturnType<typeof recordSched> | undefined {
  const seconds = Number(process.env['BENCH_PERF_SCHED'] ?? 0);
  if (!(seconds > 0)) return undefined;
  const dir = join(ROOT, 'bench', 'results', 'sched');
  mkdirSync(dir, { recursive: true });
  return recordSched(join(dir, `${server}-${perTxn}-r${round}.perf.data`), seconds, 2000);
}

/** Prints which threads of `labels`' processes waited for a CPU in the recording. */
async function reportSched(recording: ReturnType<typeof recordSched> | undefined, labels: ReadonlyMap<number, string>): Promise<void> {
  const file = await recording?.done;
  if (!file) return;
  try {
    for (const line of await summarizeSched(file, labels)) console.log(`    sched: ${line}`);
  } catch (err) {
    console.log(`    sched: perf sched timehist failed: ${(err as Error).message.split('\n')[0]}`);
  }
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function packageOf(server: string): PeerPackage | undefined {
  return PEER_PACKAGES.find((p) => server === p || server.startsWith(`${p}+`));
}

async function main(): Promise<void> {
  const servers = (process.env['BENCH_BRIDGE_SERVERS'] ?? 'bare,bridgekit,matrix-appservice-bridge+noContext,matrix-bot-sdk').split(',').map((s) => s.trim()).filter(Boolean);
  const sizes = (process.env['BENCH_BRIDGE_SIZES'] ?? '50,1').split(',').map(Number).filter((n) => n >= 1);
  const rounds = Math.max(1, env('BENCH_BRIDGE_ROUNDS', 1));
  const connections = env('BENCH_CONNECTIONS', 10);
  const rooms = env('BENCH_ROOMS', 100);
  const peers = servers.map(packageOf).filter((p): p is PeerPackage => p !== undefined);
  const unavailable = peers.length > 0 ? ensurePeersInstalled((line) => console.log(line)) : {} as Record<PeerPackage, string | undefined>;
  const loads: number[] = [];
  const sample = setInterval(() => loads.push(loadavg()[0]!), 5_000);
  console.log(`bench:bridge — ${cpus().length} CPUs, Node ${process.version}, 1-min load ${loadavg()[0]!.toFixed(2)} at start; `
    + `${connections} connections, ${rooms} rooms, sizes ${sizes.join(', ')} events/txn, ${rounds} round(s)`);
  const rows: Row[] = [];
  for (const perTxn of sizes) {
    const events = perTxn === 1 ? env('BENCH_BRIDGE_EVENTS_SMALL', 10_000) : env('BENCH_BRIDGE_EVENTS', 100_000);
    const loadArgs = ['--events', String(events), '--per-txn', String(perTxn), '--connections', String(connections), '--rooms', String(rooms)];
    for (let round = 1; round <= rounds; round++) {
      for (const server of round % 2 === 1 ? servers : [...servers].reverse()) {
        const why = packageOf(server) ? unavailable[packageOf(server)!] : undefined;
        if (why) { rows.push({ server, perTxn, round, error: why }); continue; }
        console.log(`  ${server}, ${perTxn} event(s)/txn, ${events} events (round ${round}) ...`);
        try {
          const row = server === 'bridgekit' || server === 'bridgekit+postgres'
            ? await runBridgekit(perTxn, round, loadArgs, server === 'bridgekit+postgres') : await runCounting(server, perTxn, loadArgs);
          const file = timelineFile(server, perTxn, round, 'load');
          if (file && row.load) writeFileSync(file, JSON.stringify({ timeline: row.load.timeline, standInStalls: row.load.standInStalls }));
          if (row.load) row.load = { ...row.load, timeline: undefined, standInStalls: undefined };
          rows.push({ ...row, round });
          const unknown = Object.entries(row.load?.unknownRequests ?? {});
          if (row.load) console.log(`    p99 of the second half of the run: ${row.load.p99SecondHalfMs.toFixed(1)} ms`);
          if (unknown.length > 0) console.log(`    calls the stand-in did not know: ${unknown.map(([k, n]) => `${k} ×${n}`).join(', ')}`);
        } catch (err) {
          console.log(`    failed: ${(err as Error).message.split('\n')[0]}`);
          rows.push({ server, perTxn, round, error: (err as Error).message.split('\n')[0] });
        }
      }
    }
  }
  clearInterval(sample);
  loads.push(loadavg()[0]!);

  const bareOf = (row: Row) => rows.find((r) => r.server === 'bare' && r.perTxn === row.perTxn && r.round === row.round && r.eventsPerSec);
  // The second half's p99 leaves out the start (first state fetches, code not yet optimised): the steady state's tail.
  const header = ['server', 'ev/txn', 'events', 'events/s', '× bare', 'p50 ms', 'p99 ms', 'p99 × bare', '2nd half p99 × bare', 'CPU µs/ev', 'peak RSS MB', '503s', 'check'];
  const lines = rows.map((r) => {
    if (r.error) return [r.server, String(r.perTxn), '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', `NOT RUN: ${r.error}`];
    const bare = bareOf(r);
    return [r.server, String(r.perTxn), fmt(r.events), fmt(r.eventsPerSec), ratioText(bare && r.eventsPerSec! / bare.eventsPerSec!),
      fmt(r.p50Ms, 2), fmt(r.p99Ms, 2), ratioText(bare && r.p99Ms! / bare.p99Ms!), ratioText(bare && secondHalfRatio(r, bare)), fmt(r.cpuUsPerEvent, 1), fmt(r.peakRssMb), fmt(r.refusals), r.check ?? ''];
  });
  const summary = rounds > 1 ? medians(rows, bareOf) : [];
  const meanLoad = loads.reduce((a, b) => a + b, 0) / loads.length;
  const versions = PEER_PACKAGES.map((p) => `${p} ${installedVersion(p) ?? '(missing)'}`).join(', ');
  const note = `${cpus().length} CPUs, Node ${process.version}, 1-min load average ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} `
    + `(mean ${meanLoad.toFixed(2)}) during the run; ${versions}.`;
  const summaryHeader = ['server', 'ev/txn', 'rounds', 'events/s', '× bare', 'p99 × bare', '2nd half p99 × bare', 'CPU µs/ev', '× bare CPU', 'peak RSS MB', '503s'];
  console.log(`\n${table([header, ...lines])}\n${summary.length > 0 ? `\nmedians of the rounds (ratios taken within each round):\n${table([summaryHeader, ...summary])}\n` : ''}${note}`);
  const results = join(ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, 'bridge-latest.json'), JSON.stringify({ date: new Date().toISOString(), note, rows }, null, 2));
  const medianMd = summary.length > 0 ? `Medians of the ${rounds} rounds (ratios taken within each round):\n\n${markdownTable([summaryHeader, ...summary])}\n\n` : '';
  writeFileSync(join(results, 'bridge-latest.md'), `### Whole bridge\n\n${markdownTable([header, ...lines])}\n\n${medianMd}${note}\n`);
}

function ratioText(value: number | undefined): string {
  return value === undefined ? '-' : `${value.toFixed(2)}×`;
}

function secondHalfRatio(row: Row, bare: Row): number | undefined {
  return row.load && bare.load ? row.load.p99SecondHalfMs / bare.load.p99SecondHalfMs : undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Per server and size, the median of each figure over the rounds, ratios to bare taken within each round. */
function medians(rows: Row[], bareOf: (row: Row) => Row | undefined): string[][] {
  const out: string[][] = [];
  const keys = [...new Set(rows.map((r) => `${r.perTxn}\u0000${r.server}`))];
  for (const key of keys) {
    const [perTxn, server] = key.split('\u0000') as [string, string];
    const done = rows.filter((r) => r.server === server && String(r.perTxn) === perTxn && r.eventsPerSec !== undefined);
    if (done.length === 0) continue;
    const ratio = (f: (r: Row, bare: Row) => number | undefined) => {
      const values = done.flatMap((r) => { const bare = bareOf(r); const value = bare && f(r, bare); return value === undefined ? [] : [value]; });
      return ratioText(values.length > 0 ? median(values) : undefined);
    };
    out.push([server, perTxn, String(done.length), fmt(median(done.map((r) => r.eventsPerSec!))),
      ratio((r, b) => r.eventsPerSec! / b.eventsPerSec!), ratio((r, b) => r.p99Ms! / b.p99Ms!), ratio(secondHalfRatio),
      fmt(median(done.map((r) => r.cpuUsPerEvent!)), 1), ratio((r, b) => r.cpuUsPerEvent! / b.cpuUsPerEvent!),
      fmt(median(done.map((r) => r.peakRssMb!))), fmt(median(done.map((r) => r.refusals!)))]);
  }
  return out;
}

// Run as a script; imported (bench/cluster.ts reuses the stand-in and the /proc readers), nothing runs.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
