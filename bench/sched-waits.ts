/**
 * Which threads waited for a CPU, from the kernel's scheduler events (`perf sched`), for
 * `BENCH_PERF_SCHED=<seconds>` in `bench/bridge.ts`: a recording taken in the middle of a run,
 * then, per process and thread name, the waits over 1 ms between a wake-up and getting a
 * CPU, and how much of that time the other CPUs sat idle (a scheduler that packs threads on
 * fewer CPUs, as this VM's does, leaves a woken thread queued behind a busy one).
 *
 * Thread names are Node's own from Node 22 on (MainThread, libuv-worker, V8Worker); Node 20
 * names every thread `node`.
 *
 *   node dist/bench/sched-waits.js <perf.data> <pid=label>...    a recording made by hand
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Starts `perf sched record` for `seconds` after `delayMs`; `done` resolves to the data file
 * once it is written (undefined: perf failed, or `stop` came before the recording began).
 * `stop` ends a recording early (the run was shorter), keeping what it has.
 */
export function recordSched(file: string, seconds: number, delayMs: number): { done: Promise<string | undefined>; stop: () => void } {
  let child: ChildProcess | undefined;
  let settle: (file: string | undefined) => void = () => {};
  const done = new Promise<string | undefined>((resolve) => { settle = resolve; });
  const timer = setTimeout(() => {
    child = spawn('perf', ['sched', 'record', '-o', file, '--', 'sleep', String(seconds)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.on('error', (e) => { console.log(`    perf sched: ${e.message}`); settle(undefined); });
    child.on('exit', (code, signal) => {
      if (code === 0 || signal === 'SIGINT') return settle(file);
      console.log(`    perf sched record failed (${code ?? signal}): ${err.trim().split('\n').pop() ?? ''}`);
      settle(undefined);
    });
  }, delayMs);
  return {
    done,
    stop: () => {
      clearTimeout(timer);
      if (child) child.kill('SIGINT');
      else settle(undefined);
    },
  };
}

interface Switch { at: number; cpu: number; pid: number; name: string; schedDelay: number; run: number }

/** `perf sched timehist` lines: time (s), [cpu], name[tid/pid] or name[pid], wait, sched delay, run (ms). */
function parseTimehist(text: string): Switch[] {
  const out: Switch[] = [];
  // The idle task has no [tid/pid]: it is `<idle>`, pid 0.
  const line = /^\s*([\d.]+)\s+\[(\d+)\]\s+(?:(<idle>)|(.*?)\[(\d+)(?:\/(\d+))?\])\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$/;
  for (const l of text.split('\n')) {
    const m = line.exec(l);
    if (!m) continue;
    out.push({
      at: Number(m[1]) * 1000, cpu: Number(m[2]), name: m[3] ?? m[4]!.trim(), pid: m[3] ? 0 : Number(m[6] ?? m[5]),
      schedDelay: Number(m[8]), run: Number(m[9]),
    });
  }
  return out;
}

/** Per labelled process and thread name: waits for a CPU over 1 ms, their sum, and the share of it another CPU was idle. */
export async function summarizeSched(file: string, labels: ReadonlyMap<number, string>): Promise<string[]> {
  const { stdout } = await run('perf', ['sched', 'timehist', '-i', file], { maxBuffer: 512 * 1024 * 1024 });
  const switches = parseTimehist(stdout);
  // `<idle>` lines: the CPU was idle for `run` ms up to `at`.
  const idle = switches.filter((s) => s.name === '<idle>').map((s) => ({ cpu: s.cpu, from: s.at - s.run, to: s.at }));
  const rows = new Map<string, { waits: number; ms: number; idleMs: number; allMs: number }>();
  for (const s of switches) {
    const label = labels.get(s.pid);
    if (label === undefined) continue;
    const key = `${label} ${s.name}`;
    const row = rows.get(key) ?? { waits: 0, ms: 0, idleMs: 0, allMs: 0 };
    rows.set(key, row);
    row.allMs += s.schedDelay;
    if (s.schedDelay <= 1) continue;
    const to = s.at - s.run;
    const from = to - s.schedDelay;
    row.waits++;
    row.ms += s.schedDelay;
    let idleMs = 0;
    for (const i of idle) if (i.cpu !== s.cpu) idleMs += Math.max(0, Math.min(to, i.to) - Math.max(from, i.from));
    row.idleMs += Math.min(idleMs, s.schedDelay); // more than two CPUs: at least one idle, roughly
  }
  return [...rows].sort((a, b) => b[1].ms - a[1].ms).map(([key, r]) =>
    `${key}: ${r.waits} waits over 1 ms (${r.ms.toFixed(1)} ms, another CPU idle for ${r.ms > 0 ? Math.round((r.idleMs / r.ms) * 100) : 0} % of it); all waits ${r.allMs.toFixed(1)} ms`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, ...pairs] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node dist/bench/sched-waits.js <perf.data> <pid=label>...');
    process.exit(2);
  }
  const labels = new Map(pairs.map((pair) => { const [pid, label] = pair.split('='); return [Number(pid), label ?? pid!] as const; }));
  for (const line of await summarizeSched(file, labels)) console.log(line);
}
