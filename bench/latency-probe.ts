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
 * - every LevelDB batch (classic-level's `_batch`): its main-thread (synchronous) part and
 *   the time until the thread pool finished it;
 * - the event-loop delay histogram (`monitorEventLoopDelay`).
 *
 * Written once, at exit (the bench stops the bridge with SIGTERM, which exits cleanly).
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { watchStalls } from './loop-stalls.js';

const out = process.env['BENCH_PROBE_FILE'];
const origin = performance.timeOrigin;
const now = () => origin + performance.now();

/** [arrival, ms to the answer's finish, url]. */
const requests: Array<[number, number, string]> = [];
/** [start, ms, kind]. */
const gcs: Array<[number, number, number]> = [];
/** [start, ms on the main thread, ms until done, ops]. */
const batches: Array<[number, number, number, number]> = [];

if (out) {
  const arrived = new WeakMap<ServerResponse, number>();
  subscribe('http.server.request.start', (message) => {
    const { response } = message as { request: IncomingMessage; response: ServerResponse };
    arrived.set(response, now());
  });
  subscribe('http.server.response.finish', (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    const at = arrived.get(response);
    if (at !== undefined) requests.push([at, now() - at, request.url ?? '']);
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
  const require = createRequire(join(process.cwd(), 'package.json'));
  const { ClassicLevel } = require('classic-level') as { ClassicLevel: { prototype: Record<string, unknown> } };
  const original = ClassicLevel.prototype['_batch'] as (this: unknown, ops: unknown[], options: unknown) => Promise<void>;
  ClassicLevel.prototype['_batch'] = function timedBatch(this: unknown, ops: unknown[], options: unknown): Promise<void> {
    const start = now();
    const pending = original.call(this, ops, options);
    const sync = now() - start;
    return pending.then(() => { batches.push([start, sync, now() - start, ops.length]); });
  };

  process.on('exit', () => {
    const ms = (ns: number) => ns / 1e6;
    writeFileSync(out, JSON.stringify({
      requests, gcs, stalls: watching.seen, batches,
      loopDelay: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), count: histogram.count },
    }));
  });
}
