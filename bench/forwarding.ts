/**
 * `npm run bench:forward` (issue #21): what forwarding work to a leased connection costs.
 * Two cluster members on a throwaway PostgreSQL (fsync on): A runs the connection, B
 * forwards to it as a handler does (the message staged in a unit of work, committed with
 * one fenced batch: the commit's NOTIFY wakes A, which delivers and deletes it).
 *
 * - one at a time: B commits a message, waits until A delivered it; the latency from before
 *   B's commit to A's `deliver` (the commit, the wake-up, A's read, its call), p50/p99;
 * - back to back: B commits BENCH_FORWARD_MESSAGES messages as fast as it can; messages/s
 *   until A delivered the last (A delivers one at a time, each deleted by its own write);
 * - in-process: A forwards to its own connection (`ctx.leases.send`): the cost per message
 *   of the local path (its check that nothing waits in the store, the delivery).
 *
 * Environment: BENCH_FORWARD_MESSAGES=2000, BENCH_FORWARD_ROUNDS=300.
 */
import { connectionLeaseKey } from '../src/cluster/index.js';
import { UnitOfWork } from '../src/inbox/index.js';
import { joinCluster } from '../test/cluster/member.js';
import { startPgCluster } from '../test/helpers/pg-cluster.js';

const MESSAGES = Number(process.env['BENCH_FORWARD_MESSAGES'] ?? 2_000);
const ROUNDS = Number(process.env['BENCH_FORWARD_ROUNDS'] ?? 300);
const KEY = connectionLeaseKey('bench', 'bot');

const pg = await startPgCluster({ durable: true });
try {
  const a = await joinCluster(pg.url, 'bench', { forwardPollMs: 60_000 });
  const b = await joinCluster(pg.url, 'bench', { forwardPollMs: 60_000, retryMs: 60_000 });
  const latencies: number[] = [];
  let delivered = 0;
  a.leases.forPlugin('bench').run<{ t: number }>('bot', {
    start: () => undefined,
    stop: () => undefined,
    deliver: async (message) => {
      latencies.push(performance.now() - message.t);
      delivered++;
    },
  });
  while (!a.leases.holding.includes(KEY)) await new Promise((r) => setTimeout(r, 20));
  let seq = 0;
  const commitFromB = async () => {
    const work = new UnitOfWork();
    await b.leases.forward(KEY, { t: performance.now() }, { work, seq: ++seq, n: 0, attempt: 1, lastAttempt: false });
    await b.store.write(work.ops);
  };
  const until = async (count: number) => {
    while (delivered < count) await new Promise((r) => setImmediate(r));
  };

  for (let i = 0; i < ROUNDS; i++) {
    const next = delivered + 1;
    await commitFromB();
    await until(next);
  }
  const oneAtATime = [...latencies].sort((x, y) => x - y);
  const pct = (q: number) => oneAtATime[Math.min(oneAtATime.length - 1, Math.floor(q * oneAtATime.length))]!.toFixed(1);

  const before = delivered;
  const start = performance.now();
  for (let i = 0; i < MESSAGES; i++) await commitFromB();
  await until(before + MESSAGES);
  const backToBack = MESSAGES / ((performance.now() - start) / 1000);

  // The last deletes done: while A still drains, a message of its own waits its turn in the store.
  await new Promise((r) => setTimeout(r, 500));
  const localStart = performance.now();
  for (let i = 0; i < MESSAGES; i++) await a.leases.forPlugin('bench').send('bot', { t: performance.now() });
  const localUs = ((performance.now() - localStart) * 1000) / MESSAGES;

  process.stdout.write([
    'forwarding to a leased connection (PostgreSQL, fsync on)',
    `  one at a time, B's commit → A's deliver:  p50 ${pct(0.5)} ms   p99 ${pct(0.99)} ms   (${ROUNDS} messages)`,
    `  back to back, B → A:                     ${backToBack.toFixed(0)} messages/s   (${MESSAGES} messages)`,
    `  in-process (A to its own connection):     ${localUs.toFixed(0)} µs per message`,
    '',
  ].join('\n'));
  await a.stop();
  await b.stop();
} finally {
  await pg.stop();
}
