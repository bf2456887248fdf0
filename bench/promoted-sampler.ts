/**
 * A preload for the bridgekit child of `bench/bridge.ts`: where the memory that outlives
 * the young generation is allocated (what a scavenge copies and promotes, and the old
 * generation then holds until a major GC: the CPU of V8's worker threads and the peak RSS).
 *
 *   BENCH_NODE_ARGS="--import ./dist/bench/promoted-sampler.js" BENCH_PROMOTED_MS=2600 \
 *     BENCH_BRIDGE_SERVERS=bridgekit BENCH_BRIDGE_SIZES=50 node dist/bench/bridge.js
 *
 * V8's sampling heap profiler (through the inspector), told to keep the samples of objects
 * a major GC collected and to drop those a minor GC collected: what is left is what
 * survived the young generation. After `BENCH_PROMOTED_MS` (from the child's start: take
 * it shorter than the run) it writes the top allocation sites, three frames each, to
 * `BENCH_PROMOTED_FILE` (default `bench/results/promoted.txt`).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface SamplingNode { callFrame: CallFrame; selfSize: number; children: SamplingNode[] }

const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false,
});

const afterMs = Number(process.env['BENCH_PROMOTED_MS'] ?? 3_000);
setTimeout(() => void report(), afterMs).unref();

async function report(): Promise<void> {
  const { profile } = await session.post('HeapProfiler.stopSampling') as { profile: { head: SamplingNode } };
  const bySite = new Map<string, number>();
  const walk = (node: SamplingNode, stack: readonly string[]): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const frames = [`${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`, ...stack].slice(0, 3);
    const site = frames.join(' < ');
    if (node.selfSize > 0) bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child, frames);
  };
  walk(profile.head, []);
  const total = [...bySite.values()].reduce((sum, bytes) => sum + bytes, 0);
  const lines = [`survived the young generation: ${(total / 1e6).toFixed(1)} MB in ${afterMs} ms`,
    ...[...bySite].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([site, bytes]) => `${(bytes / 1e6).toFixed(2).padStart(8)} MB  ${site}`)];
  writeFileSync(process.env['BENCH_PROMOTED_FILE'] ?? new URL('../../bench/results/promoted.txt', import.meta.url), `${lines.join('\n')}\n`);
}
