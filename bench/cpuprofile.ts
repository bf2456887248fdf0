/**
 * Summarises a V8 `.cpuprofile` (from `BENCH_PROFILE=1 npm run bench:ingest`, or any
 * `node --cpu-prof` run): self and inclusive time per function, and self time per
 * module (a package under node_modules, a file of src/, or node's internals).
 *
 *   node dist/bench/cpuprofile.js <file.cpuprofile> [top=25] [fromUs toUs]
 *
 * With `fromUs toUs` (the monotonic clock of the profile, which is `process.hrtime`'s, in
 * µs; `bench/latency-timeline.ts` prints the windows of a run's slow transactions in it),
 * only the samples taken in that window count.
 */
import { readFileSync } from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] }

function moduleOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const src = url.search(/\/(src|bench|test)\//);
  return src >= 0 ? url.slice(src + 1).replace(/^file:\/\//, '') : url;
}

export function summarize(profile: Profile, top = 25, window?: readonly [number, number]): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totalMs = window ? (Math.min(window[1], profile.endTime) - Math.max(window[0], profile.startTime)) / 1000 : (profile.endTime - profile.startTime) / 1000;
  // Self time from the samples (exact), falling back to hit counts.
  const selfMs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      at += profile.timeDeltas[i] ?? 0;
      if (window && (at < window[0] || at > window[1])) continue;
      const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
      selfMs.set(profile.samples[i]!, (selfMs.get(profile.samples[i]!) ?? 0) + dt);
    }
  } else {
    const hits = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
    for (const n of profile.nodes) selfMs.set(n.id, ((n.hitCount ?? 0) / Math.max(1, hits)) * totalMs);
  }
  const key = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${moduleOf(f.url, f.functionName)}:${f.lineNumber + 1}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const modules = new Map<string, number>();
  const childIds = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  const walk = (id: number, onPath: Set<string>): number => {
    const node = byId.get(id)!;
    const k = key(node.callFrame);
    const own = selfMs.get(id) ?? 0;
    self.set(k, (self.get(k) ?? 0) + own);
    const mod = moduleOf(node.callFrame.url, node.callFrame.functionName);
    modules.set(mod, (modules.get(mod) ?? 0) + own);
    const entered = !onPath.has(k);
    if (entered) onPath.add(k);
    let total = own;
    for (const c of node.children ?? []) total += walk(c, onPath);
    if (entered) {
      onPath.delete(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + total);
    }
    return total;
  };
  for (const n of profile.nodes) if (!childIds.has(n.id)) walk(n.id, new Set());
  const busy = [...modules.entries()].filter(([m]) => m !== '(idle)').reduce((s, [, v]) => s + v, 0);
  const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>, n: number) => [...m.entries()]
    .filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(root)'))
    .sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, v]) => `  ${pct(v)} ${v.toFixed(0).padStart(7)} ms  ${k}`).join('\n');
  return [
    `profile: ${totalMs.toFixed(0)} ms wall, ${busy.toFixed(0)} ms on the main thread (not idle); % of busy time`,
    'self time by module:', list(modules, 15),
    'self time by function:', list(self, top),
    'inclusive time by function:', list(inclusive, top),
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const [file, top, from, to] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node cpuprofile.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  const window = from && to ? [Number(from), Number(to)] as const : undefined;
  console.log(summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(top ?? 25), window));
}
