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
 * Flags: --json prints the results as JSON on stdout (the table goes to stderr).
 * Results are always written to bench/results/ingest-latest.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------
// Shared

type ServerKind = 'bare' | 'bridgekit';

/** Child → parent. */
type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'stats'; stats: ServerStats }
  | { type: 'failed'; error: string };

/** Parent → child. */
type ParentMessage = { type: 'window-start' } | { type: 'window-end' } | { type: 'finish' };

interface ServerStats {
  peakRssMb: number;
  /** CPU time of the server process (all its threads, Level's included) during the measured window, as % of one core. */
  cpuPct: number;
  /** The same CPU time, in µs. */
  cpuMicros: number;
  /** Events the server parsed out of 200-answered bodies (bare) / the inbox accepted (bridgekit). */
  accepted: number;
  /** bridgekit: events the inbox dropped as already seen (should be 0: every id is new). */
  duplicatesDropped?: number;
  /** bridgekit: handler calls, distinct events among them, events handled more than once. */
  handled?: number;
  handledDistinct?: number;
  handledTwice?: number;
  /** bridgekit: items journaled but not yet handled when the measured window ended. */
  backlogAtWindowEnd?: number;
  /** bridgekit: how long the handler took to catch up once the load stopped. */
  drainMs?: number;
  drained?: boolean;
}

const HS_TOKEN_FALLBACK = '8d6358170e3fa0ef3863213a05649a4051fd56daef957a29ed7200b59b8881c5';

function env(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`);
  return value;
}

/** The repository root: the first directory above this file with a package.json (works from dist/ and .dist-*). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'fixtures'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

const ROOT = repoRoot();
const FIXTURES = join(ROOT, 'test', 'fixtures', 'synapse-1.94');

/** Event ids are `$bench<n>` with a unique integer n, so the handler can check them with a bitmap. */
function eventNumber(eventId: string): number {
  return Number(eventId.slice(6));
}

class Bitmap {
  private bits = new Uint8Array(1 << 16);
  /** Sets bit n; returns whether it was already set. */
  testAndSet(n: number): boolean {
    const byte = n >>> 3;
    if (byte >= this.bits.length) {
      let size = this.bits.length;
      while (size <= byte) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.bits);
      this.bits = grown;
    }
    const mask = 1 << (n & 7);
    const was = (this.bits[byte]! & mask) !== 0;
    this.bits[byte]! |= mask;
    return was;
  }
}

// ---------------------------------------------------------------------------------------
// Server children

function send(message: ChildMessage): void {
  process.send!(message);
}

/** Samples RSS every 100 ms and CPU over the measured window; answers the parent's messages. */
function instrument(onFinish: () => Promise<Omit<ServerStats, 'peakRssMb' | 'cpuPct' | 'cpuMicros'>>, onWindowEnd?: () => void): void {
  let peakRss = process.memoryUsage.rss();
  const sample = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()); }, 100);
  let cpuStart = process.cpuUsage();
  let wallStart = performance.now();
  let cpuPct = 0;
  let cpuMicros = 0;
  process.on('message', (message: ParentMessage) => {
    switch (message.type) {
      case 'window-start':
        cpuStart = process.cpuUsage();
        wallStart = performance.now();
        break;
      case 'window-end': {
        const cpu = process.cpuUsage(cpuStart);
        cpuMicros = cpu.user + cpu.system;
        cpuPct = (cpuMicros / 1000 / (performance.now() - wallStart)) * 100;
        onWindowEnd?.();
        break;
      }
      case 'finish':
        onFinish().then((rest) => {
          clearInterval(sample);
          peakRss = Math.max(peakRss, process.memoryUsage.rss());
          send({ type: 'stats', stats: { peakRssMb: peakRss / 2 ** 20, cpuPct, cpuMicros, ...rest } });
          // Let the IPC message go out, then exit (a normal exit writes --cpu-prof output).
          setTimeout(() => process.exit(0), 50);
        }, (err: unknown) => {
          send({ type: 'failed', error: String((err as Error)?.stack ?? err) });
          setTimeout(() => process.exit(1), 50);
        });
        break;
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** (b) The baseline: read the body, JSON.parse, count the events, answer `{}` 200. */
async function runBareServer(): Promise<void> {
  let accepted = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events?: unknown[] };
        accepted += body.events?.length ?? 0;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
        res.end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  instrument(async () => {
    server.close();
    server.closeAllConnections();
    return { accepted };
  });
  send({ type: 'ready', port: (server.address() as { port: number }).port });
}

/** (a) bridgekit: the real endpoint and the real Inbox on a fresh Level store, as the runtime composes them. */
async function runBridgekitServer(): Promise<void> {
  const { createAppserviceApp, listen } = await import('../src/appservice/index.js');
  const { Inbox } = await import('../src/inbox/index.js');
  const { Namespaces, validateRegistration } = await import('../src/registration/index.js');
  const { Store } = await import('../src/store/index.js');
  const { createLogger } = await import('../src/log/logger.js');
  const { parse } = await import('yaml');

  const dir = await mkdtemp(join(process.env['BENCH_STORE_DIR'] || tmpdir(), 'bridgekit-bench-'));
  const store = await Store.open(dir, { sync: process.env['BENCH_SYNC'] === '1' });
  const registration = validateRegistration(
    parse(readFileSync(join(FIXTURES, 'appservice-testbridge.yaml'), 'utf8')), 'appservice-testbridge.yaml');
  // The shipped default is `logging.level: info` to stdout; the child's stdout is /dev/null.
  const level = (process.env['BENCH_LOG_LEVEL'] ?? 'info') as 'info';
  const logger = createLogger({ level, name: 'bench' });

  const seen = new Bitmap();
  let handled = 0;
  let handledDistinct = 0;
  let handledTwice = 0;
  let bodyBytes = 0;
  const inbox = await Inbox.open(store, async (item) => {
    handled++;
    if (item.kind !== 'event') return;
    // Trivial work: look at the event the way a bridge would.
    const body = item.event.content['body'];
    if (typeof body === 'string') bodyBytes += body.length;
    if (seen.testAndSet(eventNumber(item.event.event_id))) handledTwice++;
    else handledDistinct++;
  }, {}, logger);

  let accepted = 0;
  let duplicatesDropped = 0;
  const app = createAppserviceApp({
    registration,
    namespaces: new Namespaces(registration, 'localhost'),
    sink: {
      async accept(txnId, txn) {
        const result = await inbox.accept(txnId, txn);
        accepted += result.entries.length;
        duplicatesDropped += result.duplicates;
        return result;
      },
    },
    logger,
  });
  await inbox.start();
  const server = await listen(app, '127.0.0.1', 0);

  let backlogAtWindowEnd = 0;
  instrument(async () => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      inbox.drained().then(() => true),
      new Promise<boolean>((ok) => { timer = setTimeout(() => ok(false), 60_000); }),
    ]);
    clearTimeout(timer);
    const drainMs = performance.now() - started;
    await server.close();
    await inbox.stop(5_000);
    await store.close();
    await rm(dir, { recursive: true, force: true });
    void bodyBytes;
    return { accepted, duplicatesDropped, handled, handledDistinct, handledTwice, backlogAtWindowEnd, drainMs, drained };
  }, () => { backlogAtWindowEnd = inbox.backlog; });
  send({ type: 'ready', port: server.port });
}

// ---------------------------------------------------------------------------------------
// Load generator (parent)

interface Scenario {
  server: ServerKind;
  eventsPerTxn: number;
}

interface ScenarioResult extends Scenario {
  seconds: number;
  connections: number;
  txnsPerSec: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  peakRssMb: number;
  serverCpuPct: number;
  /**
   * Server CPU per event in the window (µs): the cost that does not depend on how busy the
   * rest of the machine is, unlike events/s. 1e6 / this = events/s one server core could take.
   */
  serverCpuUsPerEvent: number;
  /** CPU of the load generator (this process) during the window, % of one core. */
  loadGenCpuPct: number;
  /** Non-200 answers and socket errors (each retried with the same txnId and body). */
  errors: number;
  /** Events in transactions answered 200, over the whole run (warm-up and tail included). */
  ackedEvents: number;
  socketsOpened: number;
  server_stats: ServerStats;
  /** bridgekit: every acked event handled exactly once. */
  correct?: boolean;
}

/** Builds transaction bodies from the captured Synapse event by string splicing (cheap for the generator). */
function bodyBuilder(rooms: number): (firstEvent: number, count: number, stride: number) => string {
  const txn = JSON.parse(readFileSync(join(FIXTURES, 'txn-06-message-from-normal-user.json'), 'utf8')) as {
    events: Array<Record<string, unknown>>;
  };
  const template = { ...txn.events[0]! };
  template['event_id'] = '@@EVENT_ID@@';
  template['room_id'] = '@@ROOM_ID@@';
  template['origin_server_ts'] = '@@TS@@';
  // Alternating literal / placeholder name, whatever order the keys come in.
  const parts = JSON.stringify(template).split(/"@@(EVENT_ID|ROOM_ID|TS)@@"/);
  if (parts.length !== 7) throw new Error('event template: placeholders not found');
  const roomIds = Array.from({ length: rooms }, (_, i) => JSON.stringify(`!bench${i.toString().padStart(4, '0')}room:localhost`));
  const tail = '],"de.sorunome.msc2409.ephemeral":[],"de.sorunome.msc2409.to_device":[]}';
  return (first, count, stride) => {
    let out = '{"events":[';
    const ts = Date.now();
    for (let i = 0; i < count; i++) {
      const n = first + i * stride;
      if (i > 0) out += ',';
      for (let p = 0; p < parts.length; p++) {
        const part = parts[p]!;
        if (p % 2 === 0) out += part;
        // Knuth's multiplicative hash spreads consecutive events over the rooms.
        else if (part === 'EVENT_ID') out += '"$bench' + n + '"';
        else if (part === 'ROOM_ID') out += roomIds[(Math.imul(n, 2654435761) >>> 0) % rooms]!;
        else out += ts;
      }
    }
    return out + tail;
  };
}

function put(agent: http.Agent, port: number, path: string, token: string, body: string, onSocket: () => void): Promise<number> {
  return new Promise((ok, fail) => {
    const req = http.request({
      agent, host: '127.0.0.1', port, method: 'PUT', path,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
      timeout: 30_000,
    }, (res) => {
      res.on('data', () => {});
      res.on('end', () => ok(res.statusCode ?? 0));
      res.on('error', fail);
    });
    req.on('socket', (socket) => { if (!(socket as { benchSeen?: boolean }).benchSeen) { (socket as { benchSeen?: boolean }).benchSeen = true; onSocket(); } });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', fail);
    req.end(body);
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function startChild(kind: ServerKind, tag: string): Promise<{ child: ChildProcess; port: number }> {
  const execArgv = [...process.execArgv];
  if (kind === 'bridgekit' && process.env['BENCH_PROFILE'] === '1') {
    const dir = join(ROOT, 'bench', 'results', 'profiles');
    mkdirSync(dir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${tag}.cpuprofile`);
  }
  // stdout is /dev/null: that is where bridgekit's info log lines go.
  const child = fork(fileURLToPath(import.meta.url), ['--server', kind], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
  return new Promise((ok, fail) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'ready') { child.off('message', onMessage); ok({ child, port: message.port }); }
      if (message.type === 'failed') fail(new Error(message.error));
    };
    child.on('message', onMessage);
    child.once('exit', (code) => fail(new Error(`${kind} server exited with ${code} before it was ready`)));
  });
}

function finishChild(child: ChildProcess): Promise<ServerStats> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); fail(new Error('server did not report within 90 s')); }, 90_000);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'stats') { clearTimeout(timer); ok(message.stats); }
      if (message.type === 'failed') { clearTimeout(timer); fail(new Error(message.error)); }
    });
    child.send({ type: 'finish' } satisfies ParentMessage);
  });
}

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

async function runScenario(scenario: Scenario, config: Config, index: number): Promise<ScenarioResult> {
  const tag = `ingest-${scenario.server}-${scenario.eventsPerTxn}ev-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const { child, port } = await startChild(scenario.server, tag);
  const build = bodyBuilder(config.rooms);
  const agent = new http.Agent({ keepAlive: true, maxSockets: config.connections, maxFreeSockets: config.connections });
  const { connections, eventsPerTxn } = { connections: config.connections, eventsPerTxn: scenario.eventsPerTxn };

  const start = performance.now();
  const windowStart = start + config.warmupSeconds * 1000;
  const windowEnd = windowStart + config.seconds * 1000;
  const latencies: number[] = [];
  let windowTxns = 0;
  let windowEvents = 0;
  let ackedEvents = 0;
  let errors = 0;
  let sockets = 0;
  let sent = 0;
  let genCpu = process.cpuUsage();
  let windowOpen = false;
  let windowClosed = false;
  let genCpuPct = 0;

  const windowTimers = [
    setTimeout(() => {
      windowOpen = true;
      genCpu = process.cpuUsage();
      child.send({ type: 'window-start' } satisfies ParentMessage);
    }, windowStart - start),
    setTimeout(() => {
      windowClosed = true;
      const cpu = process.cpuUsage(genCpu);
      genCpuPct = ((cpu.user + cpu.system) / 1000 / (config.seconds * 1000)) * 100;
      child.send({ type: 'window-end' } satisfies ParentMessage);
    }, windowEnd - start),
  ];

  // One sender per connection, like one homeserver each: the next transaction goes out
  // when the previous one was answered. A failure is retried with the same txnId and body.
  const sender = async (conn: number) => {
    for (let t = 0; performance.now() < windowEnd && sent < config.maxTxns; t++) {
      sent++;
      const first = (t * eventsPerTxn) * connections + conn;
      const body = build(first, eventsPerTxn, connections);
      const path = `/_matrix/app/v1/transactions/bench${index}-${conn}-${t}`;
      for (let attempt = 1; ; attempt++) {
        const began = performance.now();
        let status = 0;
        try {
          status = await put(agent, port, path, HS_TOKEN_FALLBACK, body, () => sockets++);
        } catch {
          status = 0;
        }
        const ended = performance.now();
        if (status === 200) {
          ackedEvents += eventsPerTxn;
          if (ended >= windowStart && ended < windowEnd) {
            windowTxns++;
            windowEvents += eventsPerTxn;
            latencies.push(ended - began);
          }
          break;
        }
        errors++;
        if (attempt >= 20 || ended > windowEnd + 30_000) throw new Error(`transaction ${path} failed ${attempt} times (last status ${status})`);
        await sleep(Math.min(1000, 10 * 2 ** attempt));
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, c) => sender(c)));
  // The window-end timer may not have fired if the txn bound was hit first.
  for (const timer of windowTimers) clearTimeout(timer);
  if (!windowClosed) {
    if (!windowOpen) child.send({ type: 'window-start' } satisfies ParentMessage);
    const cpu = process.cpuUsage(genCpu);
    genCpuPct = ((cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - windowStart)) * 100;
    child.send({ type: 'window-end' } satisfies ParentMessage);
  }
  agent.destroy();
  const stats = await finishChild(child);
  await new Promise<void>((ok) => { if (child.exitCode !== null) ok(); else child.once('exit', () => ok()); });

  const seconds = Math.min(config.seconds, Math.max(0.001, (performance.now() - windowStart) / 1000));
  const sorted = Float64Array.from(latencies).sort();
  const result: ScenarioResult = {
    ...scenario,
    seconds: config.seconds,
    connections,
    txnsPerSec: windowTxns / seconds,
    eventsPerSec: windowEvents / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : NaN,
    peakRssMb: stats.peakRssMb,
    serverCpuPct: stats.cpuPct,
    serverCpuUsPerEvent: windowEvents > 0 ? stats.cpuMicros / windowEvents : NaN,
    loadGenCpuPct: genCpuPct,
    errors,
    ackedEvents,
    socketsOpened: sockets,
    server_stats: stats,
  };
  if (scenario.server === 'bridgekit') {
    // Every id is new, so with no retries nothing may be dropped as a duplicate; a retried
    // transaction (after an error) may legitimately repeat events the inbox already took.
    result.correct = stats.drained === true && stats.handledTwice === 0
      && stats.handled === stats.accepted && stats.handledDistinct === stats.accepted
      && (errors === 0 ? stats.accepted === ackedEvents && stats.duplicatesDropped === 0 : stats.accepted >= ackedEvents);
  } else {
    result.correct = stats.accepted >= ackedEvents;
  }
  return result;
}

interface Config {
  seconds: number;
  warmupSeconds: number;
  connections: number;
  sizes: number[];
  servers: ServerKind[];
  rooms: number;
  maxTxns: number;
}

function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r, ri) => {
    const line = r.map((cell, i) => (i === 0 || i === 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
    return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
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
  };
  if (config.seconds <= 0) throw new Error('BENCH_SECONDS must be > 0');
  const { cpus, loadavg } = await import('node:os');
  const loadBefore = loadavg()[0]!;
  if (loadBefore > cpus().length / 2) {
    log(`warning: 1-min load average is ${loadBefore.toFixed(2)} on ${cpus().length} CPUs before starting: other work on this machine will skew the numbers`);
  }
  log(`bench:ingest — ${config.connections} keep-alive connections, ${config.warmupSeconds} s warm-up + ${config.seconds} s measured per run, `
    + `${config.rooms} rooms, bridgekit log level ${process.env['BENCH_LOG_LEVEL'] ?? 'info'}, Level sync ${process.env['BENCH_SYNC'] === '1'}`);

  const results: ScenarioResult[] = [];
  let index = 0;
  for (const eventsPerTxn of config.sizes) {
    for (const server of config.servers) {
      log(`  running ${server}, ${eventsPerTxn} event(s)/txn ...`);
      const result = await runScenario({ server, eventsPerTxn }, config, index++);
      results.push(result);
    }
  }

  const rows: string[][] = [[
    'server', 'events/txn', 'txn/s', 'events/s', 'p50 ms', 'p99 ms', 'max ms', 'peak RSS MB', 'srv CPU%', 'srv CPU µs/ev', 'gen CPU%', 'errors',
  ]];
  for (const r of results) {
    rows.push([r.server, String(r.eventsPerTxn), fmt(r.txnsPerSec), fmt(r.eventsPerSec), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2),
      fmt(r.maxMs, 1), fmt(r.peakRssMb, 1), fmt(r.serverCpuPct), fmt(r.serverCpuUsPerEvent, 1), fmt(r.loadGenCpuPct), String(r.errors)]);
  }
  log('');
  log(table(rows));
  log('');

  /** ratio: events/s; cpuRatio: bare's server CPU per event / bridgekit's (the same comparison, per core). */
  const ratios: Array<{ eventsPerTxn: number; ratio: number; cpuRatio: number; target?: number; met?: boolean }> = [];
  for (const size of config.sizes) {
    const bare = results.find((r) => r.server === 'bare' && r.eventsPerTxn === size);
    const kit = results.find((r) => r.server === 'bridgekit' && r.eventsPerTxn === size);
    if (!bare || !kit) continue;
    const ratio = kit.eventsPerSec / bare.eventsPerSec;
    const cpuRatio = bare.serverCpuUsPerEvent / kit.serverCpuUsPerEvent;
    const entry: (typeof ratios)[number] = { eventsPerTxn: size, ratio, cpuRatio };
    if (size === 50) { entry.target = 0.5; entry.met = ratio >= 0.5; }
    ratios.push(entry);
    log(`bridgekit/bare events/s at ${size} event(s)/txn: ${ratio.toFixed(2)}× (per server CPU: ${cpuRatio.toFixed(2)}×)`
      + (entry.target !== undefined ? `  — target ≥ ${entry.target}×: ${entry.met ? 'MET' : 'NOT MET'}` : ''));
  }

  let allCorrect = true;
  for (const r of results.filter((x) => x.server === 'bridgekit')) {
    const s = r.server_stats;
    allCorrect &&= r.correct === true;
    log(`bridgekit ${r.eventsPerTxn} ev/txn: acked ${fmt(r.ackedEvents)}, accepted ${fmt(s.accepted)}, handled ${fmt(s.handled ?? 0)} `
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

// ---------------------------------------------------------------------------------------

const role = process.argv[2] === '--server' ? process.argv[3] : undefined;
const main = role === 'bare' ? runBareServer : role === 'bridgekit' ? runBridgekitServer : runParent;
main().catch((err: unknown) => {
  if (role && process.send) process.send({ type: 'failed', error: String((err as Error)?.stack ?? err) } satisfies ChildMessage);
  console.error(err);
  process.exitCode = 1;
  if (role) setTimeout(() => process.exit(1), 50);
});
