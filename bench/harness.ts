/**
 * What the benchmarks share (`bench/ingest.ts`, `bench/run.ts`): the parent ⇄ server-child
 * protocol, the child-side instrumentation (RSS sampling, CPU over the measured window,
 * memory after GC), the load generator (N keep-alive connections, one transaction in
 * flight per connection, retries with the same txnId), and the table printer.
 *
 * Server children run `bench/servers.ts` (see there for the servers).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';

// ---------------------------------------------------------------------------------------
// Protocol

/** Child → parent. */
export type ChildMessage =
  | { type: 'ready'; port: number; version?: string }
  | { type: 'baseline'; memory: MemorySample; drained: boolean }
  | { type: 'stats'; stats: ServerStats }
  | { type: 'failed'; error: string };

/** Parent → child. */
export type ParentMessage =
  /** `drainTimeoutMs`: first wait (that long at most) until the handler has caught up. */
  | { type: 'baseline'; drainTimeoutMs?: number }
  | { type: 'window-start' }
  | { type: 'window-end' }
  | { type: 'finish'; drainTimeoutMs?: number };

export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  /** The V8 heap's committed size (it can stay above what is used after a peak). */
  heapTotalMb: number;
  /** Memory outside the JS heap that V8 knows of (Buffers, native addons that report it). */
  externalMb: number;
  /** Whether a full GC ran right before (children run with --expose-gc). */
  afterGc: boolean;
  /**
   * Linux: RSS split into anonymous memory (heap, malloc: what the process really holds)
   * and file-backed pages (mapped files, e.g. LevelDB's mmapped tables: page cache the
   * kernel can drop), from /proc/self/status.
   */
  rssAnonMb?: number;
  rssFileMb?: number;
  /** Where the memory is (V8 spaces committed, external vs ArrayBuffers, anonymous mappings by kind), MB. */
  detail?: Record<string, number>;
}

/**
 * Where RSS is, for finding what to cut: V8's committed size per heap space, external
 * memory apart from ArrayBuffers, and resident anonymous mappings from /proc/self/smaps
 * by kind (the brk heap, i.e. malloc's main arena; mappings of 64 MiB-aligned malloc thread
 * arenas are not told apart from V8's pages, so those are summed as `anonMappings`).
 */
function memoryDetail(): Record<string, number> {
  const detail: Record<string, number> = {};
  for (const space of getHeapSpaceStatistics()) detail[`v8.${space.space_name}`] = space.physical_space_size / MB;
  const mem = process.memoryUsage();
  detail['external'] = (mem.external - mem.arrayBuffers) / MB;
  detail['arrayBuffers'] = mem.arrayBuffers / MB;
  try {
    let current = '';
    for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
      const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
      if (header) {
        const name = header[2] ?? '';
        current = name === '[heap]' ? 'smaps.brkHeap' : name === '' && header[1] === '0' ? 'smaps.anonMappings' : name.startsWith('[stack') ? 'smaps.stacks' : '';
        continue;
      }
      const rss = /^Rss:\s+(\d+) kB/.exec(line);
      if (rss && current) detail[current] = (detail[current] ?? 0) + Number(rss[1]) / 1024;
    }
  } catch {
    // not Linux: the V8 figures stay
  }
  return detail;
}

function procStatus(): { rssAnonMb?: number; rssFileMb?: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (field: string) => {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) / 1024 : undefined;
    };
    const anon = kb('RssAnon');
    const file = kb('RssFile');
    const shmem = kb('RssShmem');
    return anon === undefined || file === undefined ? {} : { rssAnonMb: anon, rssFileMb: file + (shmem ?? 0) };
  } catch {
    return {};
  }
}

export interface ServerStats {
  peakRssMb: number;
  /** CPU time of the server process (all its threads, Level's included) during the measured window, as % of one core. */
  cpuPct: number;
  /** The same CPU time, in µs. */
  cpuMicros: number;
  /** Events the server took in: parsed out of 200-answered bodies (bare), accepted by the inbox (bridgekit), emitted by the peer's HTTP layer. */
  accepted: number;
  /** bridgekit: events the inbox dropped as already seen (should be 0: every id is new). */
  duplicatesDropped?: number;
  /** Handler calls, distinct events among them, events handled more than once. */
  handled?: number;
  handledDistinct?: number;
  handledTwice?: number;
  /** Items taken in but not yet handled when the measured window ended. */
  backlogAtWindowEnd?: number;
  /** How long the handler took to catch up once the load stopped. */
  drainMs?: number;
  drained?: boolean;
  /** Wall-clock time (epoch ms, sub-ms precision) of the last handler call. */
  lastHandledAtMs?: number;
  /** Handler calls when the measured window started. */
  handledAtWindowStart?: number;
  /** CPU time (µs) from the start of the measured window until the handler had caught up (drain included). */
  cpuMicrosToDrained?: number;
  /** Memory once everything was handled, after a full GC. */
  end?: MemorySample;
  /** What the server kept of the rooms, checked against what was sent. */
  stateCheck?: { ok: boolean; detail: string };
}

export const HS_TOKEN = '8d6358170e3fa0ef3863213a05649a4051fd56daef957a29ed7200b59b8881c5';

export function env(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`);
  return value;
}

/** The repository root: the first directory above this file with a package.json and test/fixtures (works from dist/ and .dist-*). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'fixtures'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

export const ROOT = repoRoot();
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'synapse-1.94');
/** The compiled child entry, next to this file. */
export const SERVERS_ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'servers.js');

/** Event ids are `$bench<n>` with a unique integer n, so handlers can check them with a bitmap. */
export function eventNumber(eventId: string): number {
  return Number(eventId.slice(6));
}

export class Bitmap {
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

/** BENCH_TIMELINE (`1`, `load` or `light`; see bench/bridge.ts): every mode keeps the stand-in's per-transaction timeline. */
export function timelineMode(): '1' | 'load' | 'light' | undefined {
  const mode = process.env['BENCH_TIMELINE'];
  return mode === '1' || mode === 'load' || mode === 'light' ? mode : undefined;
}

export const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

// ---------------------------------------------------------------------------------------
// Child side

function sendToParent(message: ChildMessage): void {
  process.send!(message);
}

const MB = 2 ** 20;

/**
 * Full GC (twice: weak callbacks and finalizers free more on the second pass), half a
 * second idle (V8 gives back some freed pages lazily), another full GC, then memory.
 * The baseline and the end sample go through the same steps.
 */
export async function memorySample(): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  await sleep(500);
  gc?.();
  const mem = process.memoryUsage();
  // `external` already includes ArrayBuffers.
  return { rssMb: mem.rss / MB, heapUsedMb: mem.heapUsed / MB, heapTotalMb: mem.heapTotal / MB, externalMb: mem.external / MB, afterGc: gc !== undefined, ...procStatus(), detail: memoryDetail() };
}

/** What a server child hands to `instrument`. */
export interface ServerHooks {
  /** Waits until everything taken in was handled (at most `timeoutMs`); returns the counters. */
  drain(timeoutMs: number): Promise<Omit<ServerStats, 'peakRssMb' | 'cpuPct' | 'cpuMicros' | 'end' | 'stateCheck'>>;
  /** Called when the measured window ends (e.g. to note the backlog). */
  onWindowEnd?(): void;
  /** Handler calls so far (noted when the window starts). */
  handledCount?(): number;
  /** After drain and the memory sample: what the server kept of the rooms. */
  stateCheck?(): Promise<{ ok: boolean; detail: string }>;
  /** Stops the server and frees what it holds (temp dirs). */
  close(): Promise<void>;
}

/**
 * Samples RSS every 100 ms and CPU over the measured window; answers the parent's messages.
 * On `finish`: drain, close the window if the parent did not (room-state runs measure CPU
 * up to the end of the drain), a memory sample after GC, the state check, close, report.
 */
export function instrument(hooks: ServerHooks): void {
  let peakRss = process.memoryUsage.rss();
  const sample = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()); }, 100);
  let cpuStart = process.cpuUsage();
  let wallStart = performance.now();
  let windowOpen = false;
  let windowStarted = false;
  let cpuPct = 0;
  let cpuMicros = 0;
  let handledAtWindowStart = 0;
  const endWindow = () => {
    const cpu = process.cpuUsage(cpuStart);
    cpuMicros = cpu.user + cpu.system;
    cpuPct = (cpuMicros / 1000 / (performance.now() - wallStart)) * 100;
    windowOpen = false;
  };
  process.on('message', (message: ParentMessage) => {
    switch (message.type) {
      case 'baseline':
        void (async () => {
          const drained = message.drainTimeoutMs === undefined || (await hooks.drain(message.drainTimeoutMs)).drained !== false;
          sendToParent({ type: 'baseline', memory: await memorySample(), drained });
        })();
        break;
      case 'window-start':
        cpuStart = process.cpuUsage();
        wallStart = performance.now();
        windowOpen = true;
        windowStarted = true;
        handledAtWindowStart = hooks.handledCount?.() ?? 0;
        break;
      case 'window-end':
        endWindow();
        hooks.onWindowEnd?.();
        break;
      case 'finish':
        (async () => {
          const rest = await hooks.drain(message.drainTimeoutMs ?? 90_000);
          const toDrained = process.cpuUsage(cpuStart);
          if (windowOpen) endWindow();
          peakRss = Math.max(peakRss, process.memoryUsage.rss());
          const end = await memorySample();
          const stateCheck = hooks.stateCheck ? await hooks.stateCheck() : undefined;
          await hooks.close();
          clearInterval(sample);
          const stats: ServerStats = { peakRssMb: peakRss / MB, cpuPct, cpuMicros, ...rest, end };
          if (windowStarted) {
            stats.handledAtWindowStart = handledAtWindowStart;
            stats.cpuMicrosToDrained = toDrained.user + toDrained.system;
          }
          if (stateCheck) stats.stateCheck = stateCheck;
          return stats;
        })().then((stats) => {
          sendToParent({ type: 'stats', stats });
          // Let the IPC message go out, then exit (a normal exit writes --cpu-prof output).
          setTimeout(() => process.exit(0), 50);
        }, (err: unknown) => {
          sendToParent({ type: 'failed', error: String((err as Error)?.stack ?? err) });
          setTimeout(() => process.exit(1), 50);
        });
        break;
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** Wall clock with sub-ms precision, comparable between processes on one machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Counts what a handler receives, checks that every event is handled once (by its
 * `$bench<n>` id), and waits for the handler to catch up with what was taken in.
 */
export class HandlerCounter {
  accepted = 0;
  handled = 0;
  handledDistinct = 0;
  handledTwice = 0;
  lastHandledAtMs = 0;
  backlogAtWindowEnd = 0;
  private readonly seen = new Bitmap();

  /** Call from the handler, once per event. */
  handle(eventId: unknown): void {
    this.handled++;
    this.lastHandledAtMs = epochMs();
    if (typeof eventId !== 'string' || !eventId.startsWith('$bench')) return;
    if (this.seen.testAndSet(eventNumber(eventId))) this.handledTwice++;
    else this.handledDistinct++;
  }

  windowEnd(): void {
    this.backlogAtWindowEnd = Math.max(0, this.accepted - this.handled);
  }

  /** Counts events as taken in and handled at once (servers whose handler runs before the answer). */
  acceptAndHandle(count: number): void {
    this.accepted += count;
    this.handled += count;
    this.lastHandledAtMs = epochMs();
  }

  /** Polls until every accepted event was handled (at most `timeoutMs`). */
  async drain(timeoutMs = 90_000): Promise<{ drained: boolean; drainMs: number }> {
    const started = performance.now();
    while (this.handled < this.accepted && performance.now() - started < timeoutMs) await sleep(5);
    return { drained: this.handled >= this.accepted, drainMs: performance.now() - started };
  }

  counters() {
    return {
      accepted: this.accepted, handled: this.handled, handledDistinct: this.handledDistinct, handledTwice: this.handledTwice,
      backlogAtWindowEnd: this.backlogAtWindowEnd, lastHandledAtMs: this.lastHandledAtMs,
    };
  }
}

/** Reports `ready` once `start` resolves; a failure goes to the parent as `failed`. */
export function runChild(start: () => Promise<{ port: number; version?: string; hooks: ServerHooks }>): void {
  start().then(({ port, version, hooks }) => {
    instrument(hooks);
    sendToParent(version === undefined ? { type: 'ready', port } : { type: 'ready', port, version });
  }, (err: unknown) => {
    if (process.send) sendToParent({ type: 'failed', error: String((err as Error)?.stack ?? err) });
    console.error(err);
    setTimeout(() => process.exit(1), 50);
  });
}

// ---------------------------------------------------------------------------------------
// Parent side: children

export interface Child {
  child: ChildProcess;
  port: number;
  version?: string;
}

/**
 * Forks `bench/servers.ts` as server `kind`. stdout is /dev/null (where bridgekit's and the
 * peers' info log lines go, as they would to a log collector), stderr is inherited.
 */
export function startChild(kind: string, args: string[], options: { profileTag?: string } = {}): Promise<Child> {
  const execArgv = [...process.execArgv.filter((a) => !a.startsWith('--cpu-prof')), '--expose-gc'];
  if (options.profileTag) {
    const dir = join(ROOT, 'bench', 'results', 'profiles');
    mkdirSync(dir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${options.profileTag}.cpuprofile`);
  }
  const child = fork(SERVERS_ENTRY, ['--server', kind, ...args], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
  return new Promise((ok, fail) => {
    let lastError = '';
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'ready') {
        child.off('message', onMessage);
        ok(message.version === undefined ? { child, port: message.port } : { child, port: message.port, version: message.version });
      }
      if (message.type === 'failed') lastError = message.error;
    };
    child.on('message', onMessage);
    child.once('exit', (code) => fail(new Error(lastError || `${kind} server exited with ${code} before it was ready`)));
  });
}

/** A memory sample of the child; with `drainTimeoutMs`, taken once its handler has caught up (or that time passed). */
export function requestBaseline(child: ChildProcess, drainTimeoutMs?: number): Promise<{ memory: MemorySample; drained: boolean }> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('no baseline in time')), 30_000 + (drainTimeoutMs ?? 0));
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'baseline') { clearTimeout(timer); child.off('message', onMessage); ok(message); }
    };
    child.on('message', onMessage);
    child.send((drainTimeoutMs === undefined ? { type: 'baseline' } : { type: 'baseline', drainTimeoutMs }) satisfies ParentMessage);
  });
}

export function finishChild(child: ChildProcess, drainTimeoutMs = 90_000): Promise<ServerStats> {
  const timeoutMs = drainTimeoutMs + 60_000;
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); fail(new Error(`server did not report within ${timeoutMs / 1000} s`)); }, timeoutMs);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'stats') { clearTimeout(timer); ok(message.stats); }
      if (message.type === 'failed') { clearTimeout(timer); fail(new Error(message.error)); }
    });
    child.once('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited with ${code} before it reported`)); });
    child.send({ type: 'finish', drainTimeoutMs } satisfies ParentMessage);
  });
}

export async function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((ok) => child.once('exit', () => ok()));
}

// ---------------------------------------------------------------------------------------
// Parent side: load

/** Builds message transaction bodies from the captured Synapse event by string splicing (cheap for the generator). */
export function bodyBuilder(rooms: number): (firstEvent: number, count: number, stride: number) => string {
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
    return out + TXN_TAIL;
  };
}

export const TXN_TAIL = '],"de.sorunome.msc2409.ephemeral":[],"de.sorunome.msc2409.to_device":[]}';

export function put(agent: http.Agent, port: number, path: string, token: string, body: string, onSocket: () => void): Promise<number> {
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

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface LoadOptions {
  port: number;
  connections: number;
  /** Connection `conn`'s t-th transaction, or undefined when that connection has nothing more to send. */
  next(conn: number, t: number): { body: string; events: number } | undefined;
  /** Latencies and counts are kept for answers in [windowStart, windowEnd) (performance.now() times). */
  windowStart: number;
  windowEnd: number;
  maxTxns: number;
  /** Transaction ids are `${txnPrefix}-${conn}-${t}`. */
  txnPrefix: string;
  /** No new transaction starts after this time (performance.now()). */
  stopAt?: number;
}

export interface LoadResult {
  latencies: number[];
  windowTxns: number;
  windowEvents: number;
  /** Events in transactions answered 200, over the whole run. */
  ackedEvents: number;
  /** Non-200 answers and socket errors (each retried with the same txnId and body). */
  errors: number;
  socketsOpened: number;
}

/**
 * One sender per connection, like one homeserver each: the next transaction goes out when
 * the previous one was answered. A failure is retried with the same txnId and body.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { port, connections, windowStart, windowEnd } = options;
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const result: LoadResult = { latencies: [], windowTxns: 0, windowEvents: 0, ackedEvents: 0, errors: 0, socketsOpened: 0 };
  let sent = 0;
  const sender = async (conn: number) => {
    for (let t = 0; sent < options.maxTxns && !(performance.now() >= (options.stopAt ?? Infinity)); t++) {
      const txn = options.next(conn, t);
      if (txn === undefined) break;
      sent++;
      const path = `/_matrix/app/v1/transactions/${options.txnPrefix}-${conn}-${t}`;
      for (let attempt = 1; ; attempt++) {
        const began = performance.now();
        let status = 0;
        try {
          status = await put(agent, port, path, HS_TOKEN, txn.body, () => result.socketsOpened++);
        } catch {
          status = 0;
        }
        const ended = performance.now();
        if (status === 200) {
          result.ackedEvents += txn.events;
          if (ended >= windowStart && ended < windowEnd) {
            result.windowTxns++;
            result.windowEvents += txn.events;
            result.latencies.push(ended - began);
          }
          break;
        }
        result.errors++;
        if (attempt >= 20) throw new Error(`transaction ${path} failed ${attempt} times (last status ${status})`);
        await sleep(Math.min(1000, 10 * 2 ** attempt));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, (_, c) => sender(c)));
  } finally {
    agent.destroy();
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// Ingest scenario (time-bounded load of message events)

export interface IngestConfig {
  seconds: number;
  warmupSeconds: number;
  connections: number;
  rooms: number;
  maxTxns: number;
  /** How long a server may take, after the window, to handle what it acknowledged (default 90 s). */
  drainTimeoutMs?: number;
}

export interface IngestResult {
  server: string;
  eventsPerTxn: number;
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
  /**
   * Events the handler got from the start of the window until it had caught up with
   * everything acknowledged, per second of that time: what the server sustains, also
   * when it answers 200 before handling (a backlog then builds up behind the answers).
   */
  handledPerSec: number;
  /** Server CPU over that same time ÷ those events (µs). */
  cpuUsPerHandledEvent: number;
  /** Seconds from the end of the window until the handler had caught up (or gave up waiting). */
  catchUpSeconds: number;
  /** Whether the handler caught up with everything acknowledged within the drain timeout. */
  caughtUp: boolean;
  errors: number;
  ackedEvents: number;
  socketsOpened: number;
  server_stats: ServerStats;
  /** Every acked event reached the handler exactly once (for servers with a handler; bare: every acked event was parsed). */
  correct?: boolean;
  version?: string;
}

/** Runs one server (a fresh child) under the time-bounded message load; `kind` is a `bench/servers.ts` server. */
export async function runIngest(kind: string, eventsPerTxn: number, config: IngestConfig, index: number,
  options: { profileTag?: string } = {}): Promise<IngestResult> {
  const { child, port, version } = await startChild(kind, ['--mode', 'ingest'], options);
  try {
    const build = bodyBuilder(config.rooms);
    const { connections } = config;
    const start = performance.now();
    const windowStartAtMs = performance.timeOrigin + start + config.warmupSeconds * 1000;
    const windowStart = start + config.warmupSeconds * 1000;
    const windowEnd = windowStart + config.seconds * 1000;
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
    let load: LoadResult;
    try {
      load = await runLoad({
        port, connections, windowStart, windowEnd, maxTxns: config.maxTxns, txnPrefix: `bench${index}`,
        next: (conn, t) => performance.now() < windowEnd
          ? { body: build((t * eventsPerTxn) * connections + conn, eventsPerTxn, connections), events: eventsPerTxn }
          : undefined,
      });
    } finally {
      for (const timer of windowTimers) clearTimeout(timer);
    }
    // The window-end timer may not have fired if the txn bound was hit first.
    if (!windowClosed) {
      if (!windowOpen) child.send({ type: 'window-start' } satisfies ParentMessage);
      const cpu = process.cpuUsage(genCpu);
      genCpuPct = ((cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - windowStart)) * 100;
      child.send({ type: 'window-end' } satisfies ParentMessage);
    }
    const stats = await finishChild(child, config.drainTimeoutMs);
    await waitExit(child);

    const seconds = Math.min(config.seconds, Math.max(0.001, (performance.now() - windowStart) / 1000));
    const sorted = Float64Array.from(load.latencies).sort();
    const handledSince = (stats.handled ?? stats.accepted) - (stats.handledAtWindowStart ?? 0);
    const windowEndAtMs = windowStartAtMs + seconds * 1000;
    const lastHandledAtMs = Math.max(windowEndAtMs, stats.lastHandledAtMs ?? 0);
    const handledSeconds = Math.max(0.001, (lastHandledAtMs - windowStartAtMs) / 1000);
    const result: IngestResult = {
      server: kind,
      eventsPerTxn,
      seconds: config.seconds,
      connections,
      txnsPerSec: load.windowTxns / seconds,
      eventsPerSec: load.windowEvents / seconds,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.length ? sorted[sorted.length - 1]! : NaN,
      peakRssMb: stats.peakRssMb,
      serverCpuPct: stats.cpuPct,
      serverCpuUsPerEvent: load.windowEvents > 0 ? stats.cpuMicros / load.windowEvents : NaN,
      loadGenCpuPct: genCpuPct,
      handledPerSec: handledSince / handledSeconds,
      cpuUsPerHandledEvent: handledSince > 0 ? (stats.cpuMicrosToDrained ?? NaN) / handledSince : NaN,
      catchUpSeconds: (lastHandledAtMs - windowEndAtMs) / 1000,
      caughtUp: stats.drained !== false,
      errors: load.errors,
      ackedEvents: load.ackedEvents,
      socketsOpened: load.socketsOpened,
      server_stats: stats,
      correct: ingestCorrect(stats, load),
    };
    if (version !== undefined) result.version = version;
    return result;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * Every id is new, so with no retries nothing may be dropped as a duplicate and every acked
 * event must be handled exactly once; a retried transaction (after an error) may
 * legitimately repeat events the server already took.
 */
function ingestCorrect(stats: ServerStats, load: LoadResult): boolean {
  if (stats.handled === undefined) return stats.accepted >= load.ackedEvents;
  // Still behind when the wait ended: a performance result; what was handled, was handled once.
  if (stats.drained === false) return stats.handledTwice === 0 && stats.handledDistinct === stats.handled && stats.handled < stats.accepted;
  return stats.drained === true && stats.handledTwice === 0
    && stats.handled === stats.accepted && stats.handledDistinct === stats.accepted
    && (load.errors === 0 ? stats.accepted === load.ackedEvents && (stats.duplicatesDropped ?? 0) === 0 : stats.accepted >= load.ackedEvents);
}

// ---------------------------------------------------------------------------------------
// Output

export function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A plain-text table: the first `leftColumns` columns left-aligned, the rest right-aligned. */
export function table(rows: string[][], leftColumns = 2): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r, ri) => {
    const line = r.map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
    return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

/** A Markdown table (for docs/performance.md): the first `leftColumns` columns and the last (a note) left-aligned. */
export function markdownTable(rows: string[][], leftColumns = 2): string {
  const [head, ...body] = rows;
  const line = (r: string[]) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const left = (i: number) => i < leftColumns || i === head!.length - 1;
  return [line(head!), `|${head!.map((_, i) => (left(i) ? ' --- ' : ' ---: ')).join('|')}|`, ...body.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------
// Room-state workload: m.room.member joins for R rooms × J users

export interface StateShape {
  rooms: number;
  joins: number;
  /** Distinct users the joins draw from (each user is in rooms × joins / users rooms). */
  users: number;
}

export const STATE_CREATOR = '@creator:localhost';

export function stateRoomId(r: number): string {
  return `!state${r.toString().padStart(5, '0')}room:localhost`;
}

/** The i-th user to join room r: distinct within a room as long as joins ≤ users. */
export function stateUserId(shape: StateShape, r: number, i: number): string {
  return `@user${(r * shape.joins + i) % shape.users}:localhost`;
}

/** `JSON.stringify(template)` cut at `"@@NAME@@"` placeholders: even parts literal, odd parts names. */
function templateParts(template: unknown): string[] {
  return JSON.stringify(template).split(/"@@([A-Z_]+)@@"/);
}

/**
 * The events of room-state run, per connection (so that one room's events always go over
 * one connection, in order, as one homeserver sends them): connection c owns the rooms
 * r ≡ c (mod C); it first sends each owned room's head (create, the creator's join, power
 * levels, join rules), then the joins round-robin over its rooms (join i of every room
 * before join i+1 of any), in transactions of `eventsPerTxn`. Event ids are `$bench<n>`.
 * `offset` shifts room indexes and event numbers: a second phase sends other rooms, fresh ids.
 *
 * The envelope (age, unsigned, user_id, key order) is Synapse 1.94's, from the captured
 * member event in txn-31 without its prev_content (a first join has none).
 */
export function stateWorkload(shape: StateShape, connections: number, eventsPerTxn: number, offset = { rooms: 0, events: 0 }) {
  const captured = (JSON.parse(readFileSync(join(FIXTURES, 'txn-31-displayname-change-member-event.json'), 'utf8')) as {
    events: Array<Record<string, unknown>>;
  }).events[0]!;
  const envelope: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(captured)) {
    if (key === 'prev_content' || key === 'replaces_state') continue;
    envelope[key] = key === 'unsigned' ? { age: (value as { age: number }).age } : value;
  }
  const joinTemplate = {
    ...envelope, content: { displayname: '@@NAME@@', membership: 'join' }, event_id: '@@EVENT_ID@@', origin_server_ts: '@@TS@@',
    room_id: '@@ROOM_ID@@', sender: '@@USER@@', state_key: '@@USER@@', type: 'm.room.member', user_id: '@@USER@@',
  };
  const joinParts = templateParts(joinTemplate);
  const headEvent = (roomId: string, n: number, which: number): string => {
    const [type, content, stateKey] = [
      ['m.room.create', { creator: STATE_CREATOR, room_version: '10' }, ''],
      ['m.room.member', { displayname: 'creator', membership: 'join' }, STATE_CREATOR],
      ['m.room.power_levels', {
        ban: 50, events: { 'm.room.name': 50, 'm.room.power_levels': 100 }, events_default: 0, invite: 0, kick: 50,
        redact: 50, state_default: 50, users: { [STATE_CREATOR]: 100 }, users_default: 0,
      }, ''],
      ['m.room.join_rules', { join_rule: 'public' }, ''],
    ][which] as [string, Record<string, unknown>, string];
    return JSON.stringify({
      ...envelope, content, event_id: `$bench${n}`, origin_server_ts: Date.now(), room_id: roomId,
      sender: STATE_CREATOR, state_key: stateKey, type, user_id: STATE_CREATOR,
    });
  };
  const joinEvent = (r: number, i: number, n: number): string => {
    const values: Record<string, string> = {
      NAME: JSON.stringify(`User ${(r * shape.joins + i) % shape.users}`), EVENT_ID: `"$bench${n}"`, TS: String(Date.now()),
      ROOM_ID: JSON.stringify(stateRoomId(r)), USER: JSON.stringify(stateUserId(shape, r, i)),
    };
    let out = '';
    for (let p = 0; p < joinParts.length; p++) out += p % 2 === 0 ? joinParts[p]! : values[joinParts[p]!]!;
    return out;
  };
  const owned = (conn: number) => Math.max(0, Math.ceil((shape.rooms - conn) / connections));
  const perConnection = (conn: number) => owned(conn) * (4 + shape.joins);
  const total = Array.from({ length: connections }, (_, c) => perConnection(c)).reduce((a, b) => a + b, 0);
  /** The k-th event of connection conn. */
  const eventAt = (conn: number, k: number): string => {
    const rooms = owned(conn);
    const n = k * connections + conn + offset.events;
    if (k < rooms * 4) return headEvent(stateRoomId(conn + Math.floor(k / 4) * connections + offset.rooms), n, k % 4);
    const j = k - rooms * 4;
    return joinEvent(conn + (j % rooms) * connections + offset.rooms, Math.floor(j / rooms), n);
  };
  return {
    /** Events over all connections. */
    total,
    next(conn: number, t: number): { body: string; events: number } | undefined {
      const first = t * eventsPerTxn;
      const last = Math.min(perConnection(conn), first + eventsPerTxn);
      if (first >= last) return undefined;
      let body = '{"events":[';
      for (let k = first; k < last; k++) body += (k > first ? ',' : '') + eventAt(conn, k);
      return { body: body + TXN_TAIL, events: last - first };
    },
  };
}
