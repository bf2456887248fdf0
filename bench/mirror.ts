/**
 * Mirror benchmark (`npm run bench:mirror`):
 *  1. 1,000 rooms × 200 member joins (200,000 state events) through Mirror.apply,
 *     rooms concurrently, each room in order; time and RSS growth.
 *  2. Hydration of a 100,000-member room from a /state body, as a ratio to JSON.parse
 *     of the same body (target ≤ 3×), and the heap cost of a membership lookup after it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoomEvent } from '../src/events/types.js';
import { silentLogger } from '../src/log/logger.js';
import { Mirror } from '../src/mirror/mirror.js';
import { Store } from '../src/store/store.js';

const ROOMS = Number(process.env['BENCH_ROOMS'] ?? 1_000);
const JOINS = Number(process.env['BENCH_JOINS'] ?? 200);
const BIG_ROOM_MEMBERS = Number(process.env['BENCH_MEMBERS'] ?? 100_000);
const CONCURRENCY = 32;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const gc = (globalThis as { gc?: () => void }).gc;

let seq = 0;
function event(roomId: string, type: string, sender: string, content: Record<string, unknown>, stateKey?: string): RoomEvent {
  seq += 1;
  const base = { type, sender, content, room_id: roomId, event_id: `$bench${seq}`, origin_server_ts: 1_700_000_000_000 + seq };
  return stateKey === undefined ? base : { ...base, state_key: stateKey };
}

function roomHead(roomId: string): RoomEvent[] {
  const creator = '@creator:bench.example';
  return [
    event(roomId, 'm.room.create', creator, { room_version: '11' }, ''),
    event(roomId, 'm.room.member', creator, { membership: 'join', displayname: 'Creator' }, creator),
    event(roomId, 'm.room.power_levels', creator, { users: { [creator]: 100 } }, ''),
    event(roomId, 'm.room.join_rules', creator, { join_rule: 'public' }, ''),
  ];
}

function memberJoin(roomId: string, i: number): RoomEvent {
  const user = `@user${i}:bench.example`;
  return event(roomId, 'm.room.member', user, { membership: 'join', displayname: `User number ${i}`, avatar_url: `mxc://bench.example/avatar${i}` }, user);
}

async function withMirror<T>(run: (mirror: Mirror) => Promise<T>, fetchState?: (roomId: string) => Promise<RoomEvent[]>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'bridgekit-bench-mirror-'));
  const store = await Store.open(dir);
  const mirror = new Mirror({ store, logger: silentLogger(), cacheRooms: 1_000, ...(fetchState ? { fetchState } : {}) });
  try {
    return await run(mirror);
  } finally {
    await mirror.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchJoins(): Promise<void> {
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  await withMirror(async (mirror) => {
    const roomIds = Array.from({ length: ROOMS }, (_, i) => `!room${i}:bench.example`);
    for (const roomId of roomIds) for (const e of roomHead(roomId)) await mirror.apply(e);
    const started = performance.now();
    let next = 0;
    // Rooms concurrently (a pool of workers), each room's joins in order.
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let r = next++; r < roomIds.length; r = next++) {
        const roomId = roomIds[r]!;
        // Fresh events from the homeserver, as the inbox marks them: no event-index read.
        for (let i = 0; i < JOINS; i += 1) await mirror.apply(memberJoin(roomId, i), { firstDelivery: true });
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const total = ROOMS * JOINS;
    const sample = await mirror.room(roomIds[0]!);
    if (sample?.joinedCount !== JOINS + 1) throw new Error(`expected ${JOINS + 1} joined, got ${sample?.joinedCount}`);
    gc?.();
    const mem = process.memoryUsage();
    console.log(`joins: ${ROOMS} rooms × ${JOINS} joins = ${total.toLocaleString('en')} state events in ${seconds.toFixed(2)} s ` +
      `(${Math.round(total / seconds).toLocaleString('en')} events/s)`);
    console.log(`joins: RSS ${mb(rssBefore)} → ${mb(mem.rss)} (+${mb(mem.rss - rssBefore)}); heap used +${mb(mem.heapUsed - heapBefore)}` +
      `${gc ? ' (after GC)' : ' (run with --expose-gc for heap after GC)'}`);
  });
}

async function benchHydration(): Promise<void> {
  const roomId = '!big:bench.example';
  const state = [...roomHead(roomId), ...Array.from({ length: BIG_ROOM_MEMBERS }, (_, i) => memberJoin(roomId, i))];
  const body = JSON.stringify(state);
  state.length = 0;
  const parseTimes: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const t0 = performance.now();
    JSON.parse(body);
    parseTimes.push(performance.now() - t0);
  }
  const parseMs = median(parseTimes);
  const runs: { total: number; hydrate: number; parse: number; indexed: number }[] = [];
  for (let i = 0; i < 3; i += 1) {
    let parsed = 0;
    await withMirror(async (mirror) => {
      const t0 = performance.now();
      // The first event of an unknown room makes the mirror fetch (here: parse) the full state.
      await mirror.apply(event(roomId, 'm.room.message', '@user1:bench.example', { body: 'hi' }));
      const total = performance.now() - t0;
      // The event index (for redactions) is written in the background once the room is usable.
      await mirror.settled();
      runs.push({ total, hydrate: total - parsed, parse: parsed, indexed: performance.now() - t0 });
      const room = await mirror.room(roomId);
      if (room?.joinedCount !== BIG_ROOM_MEMBERS + 1) throw new Error(`expected ${BIG_ROOM_MEMBERS + 1} joined, got ${room?.joinedCount}`);
      if (i === 2) await lookupCost(mirror, roomId);
    }, async () => {
      const t = performance.now();
      const events = JSON.parse(body) as RoomEvent[];
      parsed = performance.now() - t;
      return events;
    });
  }
  const total = median(runs.map((r) => r.total));
  const hydrate = median(runs.map((r) => r.hydrate));
  const parseInRun = median(runs.map((r) => r.parse));
  const indexed = median(runs.map((r) => r.indexed));
  console.log(`hydrate: ${BIG_ROOM_MEMBERS.toLocaleString('en')}-member room, /state body ${mb(body.length)}`);
  console.log(`hydrate: JSON.parse ${parseMs.toFixed(0)} ms; parse + hydrate ${total.toFixed(0)} ms = ${(total / parseMs).toFixed(2)}× JSON.parse ` +
    `(hydrate alone ${hydrate.toFixed(0)} ms = ${(hydrate / parseMs).toFixed(2)}×; target ≤ 3×)`);
  console.log(`hydrate: same runs against the parse inside them (${parseInRun.toFixed(0)} ms): ${(total / parseInRun).toFixed(2)}×; ` +
    `event index complete in the background after ${indexed.toFixed(0)} ms`);
}

/** Heap cost of one membership lookup in the big room, with its summary cached. */
async function lookupCost(mirror: Mirror, roomId: string): Promise<void> {
  const room = await mirror.room(roomId);
  if (!room) return;
  await room.membership('@user5:bench.example');
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const membership = await room.membership('@user99999:bench.example');
  const ms = performance.now() - t0;
  const after = process.memoryUsage().heapUsed;
  console.log(`lookup: membership of one user in the big room = ${membership} in ${ms.toFixed(2)} ms; heap +${((after - before) / 1024).toFixed(0)} KiB`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

await benchJoins();
await benchHydration();
