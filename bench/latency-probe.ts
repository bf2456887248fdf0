/**
 * A preload for the bridgekit child of `bench/bridge.ts` (issue #18, the p99 at 1 event per
 * transaction): `BENCH_NODE_ARGS="--import ./dist/bench/latency-probe.js"` with
 * `BENCH_PROBE_FILE=<file>`. It changes nothing the bridge does; it records, with wall-clock
 * times (ms since the epoch, fractions kept) that `bench/latency-timeline.ts` lines up with
 * the stand-in's per-transaction timeline:
 *
 * - every transaction request as the server saw it (Node's `http.server.request.start` and
 *   `http.server.response.finish` diagnostics channels): arrival and time to the answer;
 * - every V8 GC pause (`PerformanceObserver`, kind and duration);
 * - every stall of the event loop over 2 ms, split into the main thread's running and its
 *   waiting for a core (`loop-stalls.ts`);
 * - every LevelDB batch (classic-level's `_batch`): its main-thread (synchronous) part, the
 *   time until the thread pool finished it, and how many other Level operations were in flight;
 * - every `Inbox.accept` (the journal write a 200 waits for);
 * - the event-loop delay histogram (`monitorEventLoopDelay`).
 *
 * Written once, at exit (the bench stops the bridge with SIGTERM, which exits cleanly).
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { watchStalls } from './loop-stalls.js';
import { threadSched } from './thread-sched.js';

const out = process.env['BENCH_PROBE_FILE'];
const origin = performance.timeOrigin;
const now = () => origin + performance.now();

/** [arrival, ms to the answer's finish, url, the main thread's CPU ms so far, the process's CPU ms so far]. */
const requests: Array<[number, number, string, number, number]> = [];
const { read: sched } = threadSched();
/** The main thread's CPU time so far (ms), from the kernel (NaN off Linux). */
const mainThreadMs = () => sched()[0];
/** [start, ms, kind]. */
const gcs: Array<[number, number, number]> = [];
/** [start, ms on the main thread, ms until done, ops, other Level operations in flight at its start]. */
const batches: Array<[number, number, number, number, number]> = [];
/** Level operations other than batches: [name, start, ms]. */
const levelOps: Array<[string, number, number]> = [];
/** With BENCH_PROBE_STACKS=1: where Level reads and deletes come from (src frames), counted. */
const stacks = process.env['BENCH_PROBE_STACKS'] === '1' ? new Map<string, number>() : undefined;
/** Dispatcher.push (starts the handler at once when its room is idle): [start, ms]. */
const pushes: Array<[number, number]> = [];
/** Inbox.accept: [txnId, start, ms]. */
const accepts: Array<[string, number, number]> = [];

if (out) {
  const arrived = new WeakMap<ServerResponse, number>();
  subscribe('http.server.request.start', (message) => {
    const { response } = message as { request: IncomingMessage; response: ServerResponse };
    arrived.set(response, now());
  });
  subscribe('http.server.response.finish', (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    const at = arrived.get(response);
    const cpu = process.cpuUsage();
    if (at !== undefined) requests.push([at, now() - at, request.url ?? '', mainThreadMs(), (cpu.user + cpu.system) / 1000]);
  });

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcs.push([origin + entry.startTime, entry.duration, ((entry as { detail?: { kind?: number } }).detail?.kind ?? 0)]);
    }
  }).observe({ entryTypes: ['gc'] });

  const watching = watchStalls();

  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();

  // The bridge resolves classic-level from the project root (its cwd): patch that copy.
  // Every operation that goes to libuv's thread pool is counted while in flight, so that a
  // batch says how many others it found there (the pool has 4 threads).
  const require = createRequire(join(process.cwd(), 'package.json'));
  const { ClassicLevel } = require('classic-level') as { ClassicLevel: { prototype: Record<string, unknown> } };
  let inFlight = 0;
  for (const name of ['_get', '_getMany', '_put', '_del', '_clear', '_batch']) {
    const original = ClassicLevel.prototype[name] as (this: unknown, ...args: unknown[]) => Promise<unknown>;
    ClassicLevel.prototype[name] = function counted(this: unknown, ...args: unknown[]): Promise<unknown> {
      const start = now();
      if (stacks && name !== '_batch') {
        const where = (new Error().stack ?? '').split('\n').filter((line) => line.includes('/dist/src/')).slice(0, 5)
          .map((line) => line.replace(/^.*\/dist\/src\//, '').replace(/\)$/, '')).join(' < ');
        const key = `${name} ${where}`;
        stacks.set(key, (stacks.get(key) ?? 0) + 1);
      }
      const before = inFlight++;
      const pending = original.apply(this, args);
      const sync = now() - start;
      const done = () => {
        inFlight--;
        if (name === '_batch') batches.push([start, sync, now() - start, (args[0] as unknown[]).length, before]);
        else levelOps.push([name, start, now() - start]);
      };
      return pending.then((value) => { done(); return value; }, (err: unknown) => { done(); throw err; });
    };
  }

  // The inbox's accept (the journal write a 200 waits for), from the build the bridge runs.
  const dist = process.env['BENCH_PROBE_DIST'] ?? join(process.cwd(), 'dist');
  const { Inbox } = await import(pathToFileURL(join(dist, 'src', 'inbox', 'inbox.js')).href) as { Inbox: { prototype: Record<string, unknown> } };
  // How much of an accept is the dispatcher starting handlers (synchronously, before the 200).
  const { Dispatcher } = await import(pathToFileURL(join(dist, 'src', 'inbox', 'dispatcher.js')).href) as { Dispatcher: { prototype: Record<string, unknown> } };
  const push = Dispatcher.prototype['push'] as (this: unknown, entry: unknown) => void;
  Dispatcher.prototype['push'] = function timedPush(this: unknown, entry: unknown): void {
    const start = now();
    push.call(this, entry);
    pushes.push([start, now() - start]);
  };
  const accept = Inbox.prototype['accept'] as (this: unknown, txnId: string, ...rest: unknown[]) => Promise<unknown>;
  Inbox.prototype['accept'] = function timedAccept(this: unknown, txnId: string, ...rest: unknown[]): Promise<unknown> {
    const start = now();
    const done = () => { accepts.push([txnId, start, now() - start]); };
    return accept.call(this, txnId, ...rest).then((value) => { done(); return value; }, (err: unknown) => { done(); throw err; });
  };

  process.on('exit', () => {
    const ms = (ns: number) => ns / 1e6;
    writeFileSync(out, JSON.stringify({
      // The same instant on both clocks: CPU profiles (--cpu-prof) time their samples in hrtime µs.
      anchor: { epochMs: now(), hrtimeUs: Number(process.hrtime.bigint() / 1000n) },
      requests, gcs, stalls: watching.seen, batches, accepts, levelOps, pushes,
      ...(stacks ? { stacks: [...stacks].sort((a, b) => b[1] - a[1]) } : {}),
      loopDelay: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), count: histogram.count },
    }));
  });
}
