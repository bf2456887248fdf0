import { threadSched } from './thread-sched.js';

/** A stall of the event loop: [when the timer should have run (ms since the epoch), ms late, ms the main thread ran meanwhile, ms it waited for a CPU]. */
export type Stall = [at: number, lateMs: number, ranMs: number, waitedMs: number];

/**
 * Notes every stall of this process's event loop over 2 ms (a 1 ms timer that runs late),
 * and how the main thread spent it, from the kernel's /proc/thread-self/schedstat (on-CPU
 * ns, runqueue-wait ns): running (work on the loop: JS, GC) or waiting for a core (another
 * process had it). For the benches' latency timelines only; its own cost is a read a tick.
 */
export function watchStalls(): { seen: Stall[]; stop: () => void } {
  const seen: Stall[] = [];
  const now = () => performance.timeOrigin + performance.now();
  const { read: sched, close } = threadSched();
  let expected = now() + 1;
  let [ran, waited] = sched();
  const timer = setInterval(() => {
    const at = now();
    const [ranNow, waitedNow] = sched();
    if (at - expected > 2) seen.push([expected, at - expected, ranNow - ran, waitedNow - waited]);
    expected = at + 1;
    ran = ranNow;
    waited = waitedNow;
  }, 1);
  timer.unref();
  return {
    seen,
    stop: () => {
      clearInterval(timer);
      close();
    },
  };
}
