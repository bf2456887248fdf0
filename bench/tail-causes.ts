/**
 * What the slowest 1 % of a run's steady state overlapped, from `BENCH_TIMELINE=light
 * npm run bench:bridge` (the stand-in's timeline and `bench/batch-probe.ts`):
 *
 *   node dist/bench/tail-causes.js [dir] [run]     run: e.g. `bridgekit-1-r1` (default: each with a probe)
 *
 * The steady state is the run without its first 1.5 s (a fresh process: rooms' first state,
 * code not yet optimised) and its last 1 s (the closing commands). Slow transactions that
 * overlap in time form a cluster: a cluster as large as the connections is a stall of the
 * whole pipeline. Each slow transaction is put down to a GC pause over 1 ms, a LevelDB batch
 * over 2 ms, both or neither, by what overlapped its cluster.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentile } from './harness.js';

type Txn = [sentAt: number, ms: number, events: number, number: number];
interface Probe { gcs: Array<[number, number, number]>; slowBatches: Array<[number, number, number, number, number]>; batches: number }

const overlaps = (start: number, ms: number, from: number, to: number) => start < to && start + ms > from;

export function tailCauses(timeline: readonly Txn[], probe: Probe): string[] {
  const first = timeline[0]![0];
  const last = timeline[timeline.length - 1]![0];
  const steady = timeline.filter(([at]) => at - first > 1500 && last - at > 1000);
  if (steady.length === 0) return ['run too short for a steady state (needs more than 2.5 s)'];
  const sorted = Float64Array.from(steady, ([, ms]) => ms).sort();
  const p99 = percentile(sorted, 99);
  const slow = steady.filter(([, ms]) => ms >= p99).map(([at, ms]) => [at, at + ms] as const).sort((a, b) => a[0] - b[0]);
  const clusters: Array<{ from: number; to: number; n: number }> = [];
  for (const [from, to] of slow) {
    const current = clusters[clusters.length - 1];
    if (current && from <= current.to) { current.n++; current.to = Math.max(current.to, to); } else clusters.push({ from, to, n: 1 });
  }
  const byCause = new Map<string, number>();
  for (const c of clusters) {
    const gc = probe.gcs.some(([at, ms]) => ms > 1 && overlaps(at, ms, c.from, c.to));
    const batch = probe.slowBatches.some(([at, ms]) => ms > 2 && overlaps(at, ms, c.from, c.to));
    const cause = gc && batch ? 'a GC pause and a Level batch' : gc ? 'a GC pause over 1 ms' : batch ? 'a Level batch over 2 ms' : 'neither';
    byCause.set(cause, (byCause.get(cause) ?? 0) + c.n);
  }
  const sizes = Float64Array.from(clusters, (c) => c.n).sort();
  const inSteady = ([at]: readonly [number, ...number[]]) => at - first > 1500 && last - at > 1000;
  const slowBatches = probe.slowBatches.filter((b) => inSteady(b) && b[1] > 2);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const batchMs = sum(slowBatches.map((b) => b[1]));
  const gcs = Float64Array.from(probe.gcs.filter(inSteady), ([, ms]) => ms).sort();
  return [
    `steady state: ${steady.length} transactions, p50 ${percentile(sorted, 50).toFixed(2)}, p99 ${p99.toFixed(2)} ms`,
    `the slowest 1 % (${slow.length}) in ${clusters.length} clusters of overlapping transactions, sizes p50 ${percentile(sizes, 50)}, max ${sizes[sizes.length - 1] ?? 0}`,
    `by what overlapped their cluster: ${[...byCause].sort((a, b) => b[1] - a[1]).map(([cause, n]) => `${cause} ${n}`).join(', ')}`,
    `Level batches over 2 ms: ${slowBatches.length} (of ${probe.batches} in the run), ${batchMs.toFixed(1)} ms in all; meanwhile the main thread ran `
      + `${batchMs > 0 ? Math.round((sum(slowBatches.map((b) => b[3])) / batchMs) * 100) : 0} % and waited for a CPU `
      + `${batchMs > 0 ? Math.round((sum(slowBatches.map((b) => b[4])) / batchMs) * 100) : 0} % of their time (the rest it sat idle, waiting for Level)`,
    `GC pauses: ${gcs.length}, p50 ${gcs.length > 0 ? percentile(gcs, 50).toFixed(2) : '-'}, max ${gcs.length > 0 ? gcs[gcs.length - 1]!.toFixed(2) : '-'} ms`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? join(process.cwd(), 'bench', 'results', 'timeline');
  const runs = process.argv[3] ? [process.argv[3]] : readdirSync(dir).filter((f) => f.endsWith('.batches.json')).map((f) => f.slice(0, -'.batches.json'.length)).sort();
  for (const run of runs) {
    const loadFile = join(dir, `${run}.load.json`);
    const probeFile = join(dir, `${run}.batches.json`);
    if (!existsSync(loadFile) || !existsSync(probeFile)) { console.log(`${run}: no timeline or probe in ${dir}`); continue; }
    const { timeline } = JSON.parse(readFileSync(loadFile, 'utf8')) as { timeline?: Txn[] };
    console.log(`== ${run}`);
    for (const line of tailCauses(timeline ?? [], JSON.parse(readFileSync(probeFile, 'utf8')) as Probe)) console.log(`  ${line}`);
  }
}
