/**
 * The stand-in homeserver of `bench/bridge.ts`, in its own process: the client-server API
 * a bridge calls (register, room state, send), with the bot joined in every bench room, and
 * the appservice pusher, which sends the load to the server under test as a homeserver
 * does: N keep-alive connections, one transaction in flight on each, every failure (a 503
 * for backpressure) retried with the same txnId and body.
 *
 * The load: `events` m.room.message events from `@admin:localhost`, spread over `rooms`
 * rooms, `perTxn` to a transaction, then one closing `!echo done` per room (in the same
 * count). Done when every event was acknowledged and, with `--echo`, when the bridge has
 * answered every room's closing `!echo` (a notice sent back through this API).
 *
 * Parent → child: `{type:'start', port}`; child → parent: `{type:'listening', port}`, then
 * `{type:'done', result}` or `{type:'failed', error}`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HS_TOKEN, percentile, sleep, timelineMode } from './harness.js';
import { watchStalls, type Stall } from './loop-stalls.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const EVENTS = arg('events', 100_000);
const PER_TXN = arg('per-txn', 50);
const CONNECTIONS = arg('connections', 10);
const ROOMS = arg('rooms', 100);
const WAIT_FOR_ECHOES = process.argv.includes('--echo');
const BOT = process.argv[process.argv.indexOf('--bot') + 1] ?? '@echobot:localhost';
const SENDER = '@admin:localhost';
/** How long the whole run may take before it is called failed. */
const TIMEOUT_MS = arg('timeout-s', 300) * 1000;

export interface BridgeLoadResult {
  /** From the first transaction sent to done (all acknowledged, every closing !echo answered). */
  elapsedMs: number;
  /** From the first transaction sent to the last one acknowledged. */
  ackedMs: number;
  events: number;
  transactions: number;
  p50Ms: number;
  p99Ms: number;
  /** p99 of the transactions in the second half of the run only (start-up excluded: first state fetches, JIT). */
  p99SecondHalfMs: number;
  /** Answers other than 200 (503s for backpressure), each retried. */
  refusals: number;
  statuses: Record<string, number>;
  /** Closing !echo answered (rooms). */
  echoes: number;
  /** Client-server requests the stand-in did not know (404), by path. */
  unknownRequests: Record<string, number>;
  sends: number;
  /**
   * With BENCH_TIMELINE set (`1`, `load`, `light`): every acknowledged transaction as [sent at (ms since the epoch),
   * ms to its 200, events in it, its number (the txnId is `bench-<number>`)], in the order
   * answered (for `bench/latency-timeline.ts`).
   */
  timeline?: Array<[number, number, number, number]>;
  /** With BENCH_TIMELINE set (`1`, `load`, `light`): this process's own event-loop stalls over 2 ms. */
  standInStalls?: Stall[];
}


const roomId = (r: number) => `!bench${String(r).padStart(4, '0')}room:localhost`;

function stateOf(room: string): unknown[] {
  const ts = 1_700_000_000_000;
  const base = (type: string, stateKey: string, sender: string, content: Record<string, unknown>, n: number) => ({
    type, state_key: stateKey, sender, content, room_id: room, event_id: `$state${n}-${room}`, origin_server_ts: ts + n, unsigned: {},
  });
  return [
    base('m.room.create', '', SENDER, { creator: SENDER, room_version: '10' }, 1),
    base('m.room.member', SENDER, SENDER, { membership: 'join' }, 2),
    base('m.room.power_levels', '', SENDER, { users: { [SENDER]: 100, [BOT]: 100 }, users_default: 0, events_default: 0, state_default: 50 }, 3),
    base('m.room.join_rules', '', SENDER, { join_rule: 'invite' }, 4),
    base('m.room.member', BOT, BOT, { membership: 'join' }, 5),
  ];
}

/** One room event as a homeserver pushes it, by string building (cheap for the generator). */
function eventJson(n: number, room: string, body: string, ts: number): string {
  return `{"type":"m.room.message","content":{"msgtype":"m.text","body":${JSON.stringify(body)}},"event_id":"$bench${n}","room_id":"${room}","sender":"${SENDER}","origin_server_ts":${ts},"unsigned":{"age":1}}`;
}

const TAIL = '],"de.sorunome.msc2409.ephemeral":[],"de.sorunome.msc2409.to_device":[]}';

/** The events of the load, as transaction bodies: messages first, then every room's closing !echo. */
function* transactions(): Generator<{ body: string; events: number }> {
  const messages = EVENTS - ROOMS;
  const ts = Date.now();
  for (let first = 0; first < messages; first += PER_TXN) {
    const count = Math.min(PER_TXN, messages - first);
    const parts: string[] = [];
    for (let i = 0; i < count; i++) {
      const n = first + i;
      parts.push(eventJson(n, roomId(n % ROOMS), `message ${n} of the bench, in plain text`, ts));
    }
    yield { body: `{"events":[${parts.join(',')}${TAIL}`, events: count };
  }
}

function* closing(): Generator<{ body: string; events: number }> {
  const ts = Date.now();
  for (let first = 0; first < ROOMS; first += PER_TXN) {
    const parts: string[] = [];
    for (let r = first; r < Math.min(ROOMS, first + PER_TXN); r++) {
      parts.push(eventJson(EVENTS - ROOMS + r, roomId(r), `!echo done ${r}`, ts));
    }
    yield { body: `{"events":[${parts.join(',')}${TAIL}`, events: parts.length };
  }
}

const unknownRequests: Record<string, number> = {};
const echoed = new Set<string>();
let sends = 0;
let onEcho: (() => void) | undefined;

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The client-server API the bridge calls. */
const api = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/_matrix/client/versions') return answer(res, 200, { versions: ['v1.1', 'v1.11'] });
    if (path.endsWith('/register')) return answer(res, 200, { user_id: BOT });
    let m = /^\/_matrix\/client\/(?:v3|r0)\/rooms\/([^/]+)\/state$/.exec(path);
    if (m && req.method === 'GET') return answer(res, 200, stateOf(decodeURIComponent(m[1]!)));
    m = /^\/_matrix\/client\/(?:v3|r0)\/rooms\/([^/]+)\/send\/([^/]+)\/([^/]+)$/.exec(path);
    if (m && req.method === 'PUT') {
      sends++;
      const room = decodeURIComponent(m[1]!);
      const content = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { body?: unknown };
      if (typeof content.body === 'string' && /done \d+/.test(content.body)) {
        echoed.add(room);
        onEcho?.();
      }
      return answer(res, 200, { event_id: `$sent${sends}` });
    }
    const key = `${req.method} ${path.replace(/![^/]+/g, '{roomId}')}`;
    unknownRequests[key] = (unknownRequests[key] ?? 0) + 1;
    return answer(res, 404, { errcode: 'M_UNRECOGNIZED', error: 'not in the stand-in homeserver' });
  });
});

function put(agent: http.Agent, port: number, path: string, body: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = http.request({
      agent, host: '127.0.0.1', port, method: 'PUT', path, timeout: 60_000,
      headers: { authorization: `Bearer ${HS_TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0)).on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', fail);
    req.end(body);
  });
}

async function push(port: number): Promise<BridgeLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS, maxFreeSockets: CONNECTIONS });
  const latencies: number[] = [];
  const timeline: Array<[number, number, number, number]> | undefined = timelineMode() ? [] : undefined;
  const stalls = timeline ? watchStalls() : undefined;
  const statuses: Record<string, number> = {};
  let refusals = 0;
  let txnCount = 0;
  let acked = 0;
  const started = performance.now();
  const deadline = started + TIMEOUT_MS;
  const send = async (source: Iterator<{ body: string; events: number }>) => {
    for (let next = source.next(); !next.done; next = source.next()) {
      const { body, events } = next.value;
      const number = txnCount++;
      const path = `/_matrix/app/v1/transactions/bench-${number}`;
      for (let attempt = 1; ; attempt++) {
        const began = performance.now();
        let status = 0;
        try {
          status = await put(agent, port, path, body);
        } catch {
          status = 0;
        }
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 200) {
          latencies.push(performance.now() - began);
          timeline?.push([performance.timeOrigin + began, latencies[latencies.length - 1]!, events, number]);
          acked += events;
          break;
        }
        refusals++;
        if (performance.now() > deadline) throw new Error(`gave up: ${path} still refused (${status}) after ${TIMEOUT_MS / 1000} s`);
        // The same txnId and body again, after a short exponential wait.
        await sleep(Math.min(1_000, 25 * 2 ** Math.min(attempt - 1, 6)));
      }
    }
  };
  const run = async (source: Iterator<{ body: string; events: number }>) => {
    await Promise.all(Array.from({ length: CONNECTIONS }, () => send(source)));
  };
  await run(transactions());
  await run(closing());
  const ackedMs = performance.now() - started;
  if (WAIT_FOR_ECHOES) {
    await new Promise<void>((ok, fail) => {
      const check = () => { if (echoed.size >= ROOMS) ok(); };
      onEcho = check;
      check();
      setTimeout(() => fail(new Error(`only ${echoed.size} of ${ROOMS} closing !echo answered in time`)), Math.max(1, deadline - performance.now())).unref();
    });
  }
  const elapsedMs = performance.now() - started;
  agent.destroy();
  stalls?.stop();
  const sorted = Float64Array.from(latencies).sort();
  const secondHalf = Float64Array.from(latencies.slice(Math.floor(latencies.length / 2))).sort();
  return {
    elapsedMs, ackedMs, events: acked, transactions: latencies.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99),
    p99SecondHalfMs: percentile(secondHalf, 99),
    refusals, statuses, echoes: echoed.size, unknownRequests, sends, ...(timeline ? { timeline, standInStalls: stalls!.seen } : {}),
  };
}

api.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'listening', port: (api.address() as AddressInfo).port });
});
process.on('message', (message: { type: string; port: number }) => {
  if (message.type !== 'start') return;
  push(message.port).then(
    (result) => process.send?.({ type: 'done', result }),
    (err: unknown) => process.send?.({ type: 'failed', error: String((err as Error)?.stack ?? err) }),
  ).finally(() => setTimeout(() => process.exit(0), 100));
});
process.on('disconnect', () => process.exit(0));
