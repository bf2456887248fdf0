/**
 * CPU per homeserver request: `HomeserverClient.request` (undici `request()` on a keep-alive
 * Agent) against the same exchange through the global `fetch` (what the client used before),
 * 10 requests in flight to a node:http server in another process, rounds alternating.
 * Main-thread CPU from /proc/thread-self/schedstat (Linux), the process's from cpuUsage.
 *
 *   npm run build && node dist/bench/homeserver-client.js    # BENCH_HS_REQUESTS, BENCH_HS_ROUNDS
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { HomeserverClient } from '../src/homeserver/client.js';

const REQUESTS = Number(process.env['BENCH_HS_REQUESTS'] ?? 5000);
const ROUNDS = Number(process.env['BENCH_HS_ROUNDS'] ?? 3);
const IN_FLIGHT = 10;
const PATH = '/_matrix/client/v3/rooms/!room:example.org/state';
const ANSWER = JSON.stringify([{ type: 'm.room.create', state_key: '', content: { room_version: '10' }, sender: '@a:example.org', event_id: '$e' }]);

/** The server side, run in a child so that its CPU is not counted. */
function serve(): void {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url?.startsWith(PATH) ? `{"events":${ANSWER}}` : '{}');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') process.send?.(address.port);
  });
}

function mainThreadMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}

async function measure(label: string, once: () => Promise<unknown>): Promise<{ label: string; mainUs: number; processUs: number; wallMs: number }> {
  let left = Math.ceil(REQUESTS / 10);
  const drive = async () => {
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (left-- > 0) await once();
    }));
  };
  await drive(); // warm-up: connections made, code compiled
  left = REQUESTS;
  const cpu = process.cpuUsage();
  const main = mainThreadMs();
  const started = performance.now();
  await drive();
  const used = process.cpuUsage(cpu);
  return {
    label,
    mainUs: ((mainThreadMs() - main) * 1000) / REQUESTS,
    processUs: (used.user + used.system) / REQUESTS,
    wallMs: performance.now() - started,
  };
}

async function main(): Promise<void> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['serve'], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
  const baseUrl = `http://127.0.0.1:${port}`;
  const client = new HomeserverClient({ baseUrl, asToken: 'as-token', botUserId: '@bot:example.org' });
  const headers = { authorization: 'Bearer as-token', accept: 'application/json' };
  const viaClient = () => client.request('GET', PATH, { parse: (body) => body });
  const viaFetch = async () => {
    const response = await fetch(`${baseUrl}${PATH}`, { method: 'GET', headers, signal: AbortSignal.timeout(30_000) });
    return JSON.parse(await response.text()) as unknown;
  };
  console.log(`${REQUESTS} GETs a round, ${IN_FLIGHT} in flight; load average ${readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ')}`);
  console.log('| round | path | main thread µs/req | process µs/req | wall ms |');
  console.log('| ---: | --- | ---: | ---: | ---: |');
  for (let round = 1; round <= ROUNDS; round++) {
    const order: Array<[string, () => Promise<unknown>]> = [['HomeserverClient (undici request)', viaClient], ['global fetch', viaFetch]];
    if (round % 2 === 0) order.reverse();
    for (const [label, once] of order) {
      const r = await measure(label, once);
      console.log(`| ${round} | ${r.label} | ${r.mainUs.toFixed(1)} | ${r.processUs.toFixed(1)} | ${r.wallMs.toFixed(0)} |`);
    }
  }
  child.kill();
}

if (process.argv[2] === 'serve') serve();
else await main();
