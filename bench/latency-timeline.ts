/**
 * Reads the timelines `BENCH_TIMELINE=1 npm run bench:bridge` leaves in
 * bench/results/timeline/ and says where the slowest transactions' time went:
 *
 *   node dist/bench/latency-timeline.js [dir] [run]     run: e.g. `bridgekit-1-r1` (default: every run in dir)
 *
 * For each run: the slowest 1 % of transactions (at or above the p99), when they were sent
 * (tenths of the run), and how they cluster (overlapping in time). With the bridgekit child's
 * probe (`bench/latency-probe.ts`): the time each slow transaction spent in the bridge
 * (arrival to answer) against outside it, and what overlapped it there: GC pauses, event-loop
 * stalls, LevelDB batches; and the same figures for the run as a whole.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:perf_hooks';
import { ROOT } from './harness.js';
import type { Stall } from './loop-stalls.js';

type Txn = [sentAt: number, ms: number, events: number, number: number];
interface Load { timeline?: Txn[]; standInStalls?: Stall[] }
interface Probe {
  requests: Array<[number, number, string, number?, number?]>;
  gcs: Array<[number, number, number]>;
  stalls: Stall[];
  batches: Array<[number, number, number, number, number]>;
  accepts?: Array<[string, number, number]>;
  levelOps?: Array<[string, number, number]>;
  loopDelay: { p50: number; p99: number; max: number; count: number };
  anchor: { epochMs: number; hrtimeUs: number };
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor (scavenge)',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};

function quantile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const spread = (values: number[]) => `p50 ${f(quantile(values, 50), 2)}, p99 ${f(quantile(values, 99), 2)}, max ${f(values.length > 0 ? Math.max(...values) : NaN, 2)} ms (${values.length})`;

/** Milliseconds of [from, to] covered by the intervals [start, start + ms]. */
function overlap(intervals: ReadonlyArray<readonly [number, number]>, from: number, to: number): number {
  let sum = 0;
  for (const [start, ms] of intervals) sum += Math.max(0, Math.min(to, start + ms) - Math.max(from, start));
  return sum;
}

/** Stalls: how many, their total, and how the main thread spent them (running, or waiting for a core). */
function stallSummary(stalls: Stall[]): string {
  const sum = (i: 1 | 2 | 3) => stalls.reduce((s, x) => s + x[i], 0);
  return `${stalls.length}, ${f(sum(1))} ms late in all (main thread running ${f(sum(2))}, waiting for a core ${f(sum(3))}), `
    + `${spread(stalls.map((x) => x[1]))}`;
}

function report(dir: string, run: string): void {
  const load = JSON.parse(readFileSync(join(dir, `${run}.load.json`), 'utf8')) as Load;
  const probePath = join(dir, `${run}.probe.json`);
  const probe = existsSync(probePath) ? JSON.parse(readFileSync(probePath, 'utf8')) as Probe : undefined;
  const txns = load.timeline ?? [];
  if (txns.length === 0) return void console.log(`${run}: no timeline`);
  const start = Math.min(...txns.map((t) => t[0]));
  const end = Math.max(...txns.map((t) => t[0] + t[1]));
  const p99 = quantile(txns.map((t) => t[1]), 99);
  const slow = txns.filter((t) => t[1] >= p99).sort((a, b) => a[0] - b[0]);
  console.log(`\n== ${run}: ${txns.length} transactions over ${f((end - start) / 1000, 2)} s; latency ${spread(txns.map((t) => t[1]))}`);

  const tenths = Array.from({ length: 10 }, () => 0);
  for (const t of slow) tenths[Math.min(9, Math.floor(((t[0] - start) / (end - start)) * 10))]!++;
  console.log(`  slowest ${slow.length} (>= ${f(p99, 2)} ms) by tenth of the run: ${tenths.join(' ')}`);
  const byNumber = [...slow].sort((a, b) => a[3] - b[3]).map((t) => t[3]);
  console.log(`  their transaction numbers: ${byNumber.slice(0, 40).join(' ')}${byNumber.length > 40 ? ' …' : ''}`);

  // Clusters: slow transactions whose [sent, answered] intervals overlap or touch.
  const clusters: Txn[][] = [];
  for (const t of slow) {
    const last = clusters[clusters.length - 1];
    if (last && t[0] <= Math.max(...last.map((u) => u[0] + u[1]))) last.push(t);
    else clusters.push([t]);
  }
  console.log(`  ${clusters.length} clusters; gaps between clusters: ${spread(clusters.slice(1).map((c, i) => c[0]![0] - clusters[i]![0]![0]))}`);
  const hrtime = (epochMs: number) => (probe ? ((epochMs - probe.anchor.epochMs) * 1000 + probe.anchor.hrtimeUs).toFixed(0) : '-');
  for (const c of clusters) {
    const from = c[0]![0];
    const to = Math.max(...c.map((t) => t[0] + t[1]));
    const ops = new Map<string, number>();
    for (const [name, at] of probe?.levelOps ?? []) if (at >= from && at <= to) ops.set(name, (ops.get(name) ?? 0) + 1);
    ops.set('_batch', (probe?.batches ?? []).filter(([at]) => at >= from && at <= to).length);
    console.log(`    cluster at +${f(from - start, 0)} ms: ${c.length} transactions (#${c[0]![3]}…), ${f(to - from)} ms long; in profile time (µs): ${hrtime(from)} ${hrtime(to)}`
      + (probe ? `; Level operations begun: ${[...ops].map(([name, n]) => `${name} ${n}`).join(', ')}` : ''));
  }
  const standIn = load.standInStalls ?? [];
  console.log(`  the stand-in's own loop stalls > 2 ms: ${stallSummary(standIn)}`);
  const middle = txns.filter((t) => t[3] >= 200 && t[3] < txns.length - 200).map((t) => t[1]);
  console.log(`  without the first and last 200 transactions (first events of the rooms, closing commands): ${spread(middle)}`);
  if (!probe) return;

  const gcs = probe.gcs.map(([at, ms]) => [at, ms] as const);
  const stalls = probe.stalls.map(([at, ms]) => [at, ms] as const);
  const batchSpans = probe.batches.map(([at, , ms]) => [at, ms] as const);
  const inRun = <T extends readonly number[]>(list: T[]) => list.filter((x) => x[0]! >= start && x[0]! <= end);
  const runGcs = inRun(probe.gcs);
  const kinds = new Map<string, number[]>();
  for (const [, ms, kind] of runGcs) kinds.set(GC_KINDS[kind] ?? String(kind), [...(kinds.get(GC_KINDS[kind] ?? String(kind)) ?? []), ms]);
  console.log(`  in the bridge during the run:`);
  for (const [kind, list] of kinds) console.log(`    GC ${kind}: ${spread(list)}, ${f(list.reduce((a, b) => a + b, 0))} ms in all`);
  console.log(`    loop stalls > 2 ms: ${stallSummary(inRun(probe.stalls))}; loop delay histogram p50 ${f(probe.loopDelay.p50, 2)}, p99 ${f(probe.loopDelay.p99, 2)}, max ${f(probe.loopDelay.max, 2)} ms`);
  const runBatches = inRun(probe.batches);
  console.log(`    Level batches: to done ${spread(runBatches.map((b) => b[2]))}; main-thread part ${spread(runBatches.map((b) => b[1]))}; ops ${spread(runBatches.map((b) => b[3]))}; `
    + `other Level operations in flight at the start ${spread(runBatches.map((b) => b[4]))}`);
  const accepts = new Map((probe.accepts ?? []).map(([txnId, at, ms]) => [txnId, [at, ms] as const]));
  const served = new Map<number, [number, number]>();
  for (const [at, ms, url] of probe.requests) {
    const m = /\/transactions\/bench-(\d+)$/.exec(url);
    if (m) served.set(Number(m[1]), [at, ms]);
  }
  const inside = txns.flatMap((t) => (served.has(t[3]) ? [served.get(t[3])![1]] : []));
  console.log(`    transactions in the bridge (arrival to answer): ${spread(inside)}`);

  // Each slow transaction: its time in the bridge and outside, and what overlapped it.
  let sumBefore = 0; let sumAccept = 0; let sumAfter = 0;
  let sumIn = 0; let sumOut = 0; let sumGc = 0; let sumStall = 0; let sumBatch = 0; let sumRan = 0; let sumWaited = 0;
  const rows: string[] = [];
  for (const t of slow) {
    const [sent, ms] = t;
    const [arrival, inBridge] = served.get(t[3]) ?? [NaN, NaN];
    const [acceptAt, acceptMs] = accepts.get(`bench-${t[3]}`) ?? [NaN, NaN];
    const before = acceptAt - arrival;
    const after = arrival + inBridge - (acceptAt + acceptMs);
    sumBefore += before; sumAccept += acceptMs; sumAfter += after;
    const busiest = Math.max(0, ...probe.batches.filter(([at, , d]) => at < sent + ms && at + d > sent).map((b) => b[4]));
    const gc = overlap(gcs, sent, sent + ms);
    const stall = overlap(stalls, sent, sent + ms);
    const during = probe.stalls.filter(([at, late]) => at < sent + ms && at + late > sent);
    const ran = during.reduce((s, x) => s + x[2], 0);
    const waited = during.reduce((s, x) => s + x[3], 0);
    sumRan += ran; sumWaited += waited;
    const longest = Math.max(0, ...batchSpans.filter(([at, d]) => at < sent + ms && at + d > sent).map(([, d]) => d));
    sumIn += inBridge; sumOut += ms - inBridge; sumGc += gc; sumStall += stall; sumBatch += longest;
    rows.push(`    #${t[3]} at +${f(sent - start, 0)} ms: ${f(ms, 2)} ms, ${f(inBridge, 2)} in the bridge (arrived after ${f(arrival - sent, 2)}; `
      + `to accept ${f(before, 2)}, accept ${f(acceptMs, 2)}, to the answer ${f(after, 2)}; Level ops in flight up to ${busiest}); `
      + `GC ${f(gc, 2)}, loop stalls ${f(stall, 2)} (running ${f(ran, 2)}, waiting ${f(waited, 2)}), longest Level batch ${f(longest, 2)} ms`);
  }
  const n = slow.length;
  console.log(`  the slowest ${n}, means: ${f(sumIn / n, 2)} ms in the bridge (arrival to accept ${f(sumBefore / n, 2)}, the journal's accept ${f(sumAccept / n, 2)}, `
    + `accept to the answer ${f(sumAfter / n, 2)}), ${f(sumOut / n, 2)} outside; overlapping GC ${f(sumGc / n, 2)}, `
    + `loop stalls ${f(sumStall / n, 2)} (the stalls touching it: main thread running ${f(sumRan / n, 2)}, waiting for a core ${f(sumWaited / n, 2)}), longest Level batch ${f(sumBatch / n, 2)} ms`);
  console.log(rows.slice(0, Number(process.env['TIMELINE_ROWS'] ?? 20)).join('\n'));
}

const dir = process.argv[2] ?? join(ROOT, 'bench', 'results', 'timeline');
const runs = process.argv[3] ? [process.argv[3]] : readdirSync(dir).filter((name) => name.endsWith('.load.json')).map((name) => name.slice(0, -'.load.json'.length)).sort();
for (const run of runs) report(dir, run);
