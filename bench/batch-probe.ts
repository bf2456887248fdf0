/**
 * A light preload for the bridgekit child of `bench/bridge.ts` (`BENCH_TIMELINE=light`): the
 * GC pauses, and every LevelDB batch that took over 1 ms from the call to its completion on
 * the main thread, with the main thread's CPU and run-queue wait meanwhile (Linux
 * schedstat). Unlike `latency-probe.ts` it keeps nothing per transaction, so the bridge's
 * garbage collections stay as they are. `bench/tail-causes.ts` lines it up with the
 * stand-in's timeline. Written at exit to `BENCH_PROBE_FILE`.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { threadSched } from './thread-sched.js';

const out = process.env['BENCH_PROBE_FILE'];
const origin = performance.timeOrigin;
const now = () => origin + performance.now();

/** [start (epoch ms), ms, kind]. */
const gcs: Array<[number, number, number]> = [];
/** [start (epoch ms), ms to completion, ops, main thread's CPU ms meanwhile, its run-queue wait ms meanwhile]. */
const slowBatches: Array<[number, number, number, number, number]> = [];
let batches = 0;

/** The main thread's [CPU ms, run-queue wait ms] so far. */
const { read: sched } = threadSched();

if (out) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcs.push([origin + entry.startTime, entry.duration, (entry as { detail?: { kind?: number } }).detail?.kind ?? 0]);
  }).observe({ entryTypes: ['gc'] });

  // The bridge resolves classic-level from the project root (its cwd): patch that copy.
  const require = createRequire(join(process.cwd(), 'package.json'));
  const { ClassicLevel } = require('classic-level') as { ClassicLevel: { prototype: Record<string, unknown> } };
  const original = ClassicLevel.prototype['_batch'] as (this: unknown, ops: unknown[], options: unknown) => Promise<unknown>;
  ClassicLevel.prototype['_batch'] = function timed(this: unknown, ops: unknown[], options: unknown): Promise<unknown> {
    const start = now();
    const [cpu, wait] = sched();
    batches++;
    return original.call(this, ops, options).finally(() => {
      const ms = now() - start;
      if (ms <= 1) return;
      const [cpuAfter, waitAfter] = sched();
      slowBatches.push([start, ms, ops.length, cpuAfter - cpu, waitAfter - wait]);
    });
  };

  process.on('exit', () => writeFileSync(out, JSON.stringify({ gcs, slowBatches, batches })));
}
