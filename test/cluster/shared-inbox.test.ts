import assert from 'node:assert/strict';
import { SharedInbox, RoomCaches } from '../../src/cluster/index.js';
import { Store } from '../../src/store/index.js';
import { parseTransaction } from '../../src/events/index.js';
import type { RoomEvent } from '../../src/events/types.js';
import type { ItemHandler } from '../../src/inbox/index.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { makeEvent } from '../helpers/events.js';
import { waitFor } from '../helpers/net.js';
import { usePgServer } from '../helpers/pg-server.js';

interface Member {
  readonly store: Store;
  readonly inbox: SharedInbox;
  /** Event ids in the order this member's handler saw them. */
  readonly seen: string[];
  readonly forgotten: string[];
}

const ROOMS = 6;
const PER_ROOM = 20;

describe('cluster: the shared journal across processes', function () {
  this.timeout(60_000);
  const pg = usePgServer();
  let schema: string;
  const members: Member[] = [];

  beforeEach(() => { schema = pg.schema(); });
  afterEach(async () => {
    for (const m of members.splice(0)) {
      await m.inbox.stop(1_000).catch(() => undefined);
      await m.inbox.close();
      await m.store.close().catch(() => undefined);
    }
  });

  async function join(options: { leaseTtlMs?: number; idleReleaseMs?: number; placement?: 'spread' | 'leader'; slow?: (event: RoomEvent) => Promise<void> } = {}): Promise<Member> {
    const store = await Store.openPostgres(pg.url(), { schema, shared: true });
    const seen: string[] = [];
    const forgotten: string[] = [];
    const caches = new RoomCaches();
    caches.register('test', (room) => forgotten.push(room), () => forgotten.push('*'));
    const handled = store.section<string>('test.handled');
    let inbox!: SharedInbox;
    const handler: ItemHandler = async (item, ctx) => {
      if (item.kind !== 'event') return;
      await options.slow?.(item.event);
      seen.push(item.event.event_id);
      // Committed with the acknowledgement: counts each event once however often it ran.
      ctx.work.put(handled, item.event.event_id, inbox.processId);
    };
    const ttl = options.leaseTtlMs ?? 1_500;
    inbox = await SharedInbox.open(store, handler, { retryBaseMs: 20 }, { url: pg.url(), leaseTtlMs: ttl, heartbeatMs: ttl / 4, pollMs: 200, ...(options.idleReleaseMs ? { idleReleaseMs: options.idleReleaseMs } : {}), ...(options.placement ? { placement: options.placement } : {}) }, caches, process.env.DEBUG_CLUSTER ? createLogger({ level: "debug" }) : silentLogger());
    await inbox.start();
    const member = { store, inbox, seen, forgotten };
    members.push(member);
    return member;
  }

  function flood(): { rooms: string[]; txns: Array<{ txnId: string; events: RoomEvent[] }> } {
    const rooms = Array.from({ length: ROOMS }, (_, i) => `!room${i}:localhost`);
    const txns: Array<{ txnId: string; events: RoomEvent[] }> = [];
    for (let n = 0; n < PER_ROOM; n++) {
      txns.push({ txnId: `t${n}`, events: rooms.map((room) => makeEvent(room, { body: `${room} ${n}` })) });
    }
    return { rooms, txns };
  }

  /** Process a leases every room of a flood and is stuck in its handlers until `release`; b stands by. */
  async function floodHeldByStuckProcess(): Promise<{ a: Member; b: Member; txns: ReturnType<typeof flood>['txns']; release: () => void }> {
    let hold = true;
    const a = await join({ slow: async () => { while (hold) await new Promise((r) => setTimeout(r, 10)); } });
    const b = await join();
    const { txns } = flood();
    for (const { txnId, events } of txns) await a.inbox.accept(txnId, parseTransaction({ events }));
    await waitFor(() => a.inbox.leased === ROOMS, 5_000, 'a leased every room');
    return { a, b, txns, release: () => { hold = false; } };
  }

  async function handledIds(store: Store): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for await (const [key, value] of store.section<string>('test.handled').iterator()) out.set(key, value);
    return out;
  }

  function assertRoomOrder(seen: readonly string[], txns: ReadonlyArray<{ events: RoomEvent[] }>, label: string): void {
    const position = new Map<string, [string, number]>();
    txns.forEach(({ events }, n) => events.forEach((e) => position.set(e.event_id, [e.room_id, n])));
    const last = new Map<string, number>();
    for (const id of seen) {
      const [room, n] = position.get(id)!;
      assert.ok((last.get(room) ?? -1) < n, `${label}: ${room} out of order at ${n}`);
      last.set(room, n);
    }
  }

  it('handles every item once, in order per room, with transactions spread over two processes and retried at both', async () => {
    const a = await join();
    const b = await join();
    const { txns } = flood();
    for (const [i, { txnId, events }] of txns.entries()) {
      const txn = parseTransaction({ events });
      await (i % 2 === 0 ? a : b).inbox.accept(txnId, txn);
      // The homeserver retried at the other process: nothing new.
      const again = await (i % 2 === 0 ? b : a).inbox.accept(txnId, txn);
      assert.equal(again.duplicates, events.length);
    }
    const all = txns.flatMap((t) => t.events.map((e) => e.event_id));
    await waitFor(async () => (await handledIds(a.store)).size === all.length, 20_000, 'every event handled');
    assert.equal(a.seen.length + b.seen.length, all.length, 'no event handled twice');
    assert.deepEqual(new Set([...a.seen, ...b.seen]), new Set(all));
    assertRoomOrder(a.seen, txns, 'a');
    assertRoomOrder(b.seen, txns, 'b');
    // A room is handled in one process only.
    const roomsOf = (seen: string[]) => new Set(seen.map((id) => txns.flatMap((t) => t.events).find((e) => e.event_id === id)!.room_id));
    for (const room of roomsOf(a.seen)) assert.ok(!roomsOf(b.seen).has(room), `${room} handled by both`);
  });

  it('gives a stopping process\'s rooms to the other at once, with what it left unhandled', async () => {
    const { a, b, txns, release } = await floodHeldByStuckProcess();
    const stopping = a.inbox.stop(200);
    release();
    await stopping;
    await a.inbox.close();
    const all = txns.flatMap((t) => t.events.map((e) => e.event_id));
    await waitFor(async () => (await handledIds(b.store)).size === all.length, 20_000, 'b finished every room');
    const handled = await handledIds(b.store);
    assert.ok([...handled.values()].includes(b.inbox.processId), 'b handled some');
    assert.equal(b.seen.filter((id) => a.seen.includes(id)).length, a.seen.filter((id) => !handled.has(id) || handled.get(id) !== a.inbox.processId).length);
    assertRoomOrder(b.seen, txns, 'b');
    assert.ok(b.forgotten.length >= ROOMS, 'b forgot its caches of the rooms it took');
  });

  it('reaps a process that stopped beating and takes its rooms over after the lease TTL; its late writes are refused', async () => {
    const { a, b, txns, release } = await floodHeldByStuckProcess();
    // "kill -9": a's heartbeat stops; its handlers are stuck; it never leaves.
    (a.inbox as unknown as { membership: { timer: NodeJS.Timeout } }).membership.timer.refresh();
    clearInterval((a.inbox as unknown as { membership: { timer: NodeJS.Timeout } }).membership.timer);
    const all = txns.flatMap((t) => t.events.map((e) => e.event_id));
    await waitFor(async () => (await handledIds(b.store)).size === all.length, 30_000, 'b took every room over');
    // a wakes up and finishes its stuck handlers: their commits are fenced out.
    release();
    await waitFor(() => a.seen.length > 0, 5_000, 'a ran its stuck handlers');
    await new Promise((r) => setTimeout(r, 300));
    const handled = await handledIds(b.store);
    assert.equal(handled.size, all.length);
    assert.ok([...handled.values()].every((owner) => owner === b.inbox.processId), 'nothing a wrote after it was reaped landed');
    assertRoomOrder(b.seen, txns, 'b');
    await assert.rejects(a.store.write([], { acks: [{ lane: '!x:localhost', seq: 0 }] }), { code: 'LEVEL_FENCED' });
  });

  it('gives up rooms idle for a while, so that the next transaction for them may lease them elsewhere', async () => {
    const a = await join({ idleReleaseMs: 300 });
    const b = await join();
    const room = '!idle:localhost';
    const first = makeEvent(room);
    await a.inbox.accept('i1', parseTransaction({ events: [first] }));
    await waitFor(() => a.seen.includes(first.event_id), 5_000, 'a handled the first event');
    await waitFor(() => a.inbox.leased === 0, 5_000, 'a gave the idle room up');
    assert.ok(a.forgotten.includes(room), 'and forgot its caches of it');
    const second = makeEvent(room);
    await b.inbox.accept('i2', parseTransaction({ events: [second] }));
    await waitFor(() => b.seen.includes(second.event_id), 5_000, 'b leased the room and handled the next event');
    assert.ok(!a.seen.includes(second.event_id));
  });

  it('listens again for wake-ups when its session is lost', async () => {
    const a = await join();
    const listening = async () => (await a.store.postgres!.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'bridgekit-listen' AND query = $1 AND state = 'idle'`,
      [`LISTEN "bridgekit_wake_${schema}"`])).at(0)?.n ?? 0;
    await waitFor(async () => await listening() === 1, 5_000, 'a listens');
    await a.store.postgres!.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bridgekit-listen' AND query = $1`,
      [`LISTEN "bridgekit_wake_${schema}"`]);
    await waitFor(async () => await listening() === 0, 5_000, 'the session is gone');
    await waitFor(async () => await listening() === 1, 10_000, 'a listens again');
  });

  it('placement leader: one process handles every room while the other journals and stands by, then takes over', async () => {
    const a = await join({ placement: 'leader' });
    const b = await join({ placement: 'leader' });
    await waitFor(() => a.inbox.mayLease || b.inbox.mayLease, 5_000, 'one leads');
    const [leader, standby] = a.inbox.mayLease ? [a, b] : [b, a];
    assert.equal(standby.inbox.mayLease, false);
    const { txns } = flood();
    const half = txns.length / 2;
    for (const [i, { txnId, events }] of txns.slice(0, half).entries()) await (i % 2 === 0 ? a : b).inbox.accept(txnId, parseTransaction({ events }));
    const first = txns.slice(0, half).flatMap((t) => t.events.map((e) => e.event_id));
    await waitFor(() => leader.seen.length === first.length, 10_000, 'the leader handled every room');
    assert.equal(standby.seen.length, 0, 'the standby handled nothing');
    await leader.inbox.stop(1_000);
    await leader.inbox.close();
    for (const { txnId, events } of txns.slice(half)) await standby.inbox.accept(txnId, parseTransaction({ events }));
    await waitFor(() => standby.seen.length === txns.length * ROOMS - first.length, 10_000, 'the standby leads and handles the rest');
    assert.ok(standby.inbox.mayLease);
    assertRoomOrder(standby.seen, txns, 'new leader');
  });

  it('a lane leased to it by a statement whose answer it has not taken up yet is loaded whole before any of its items is handled', async () => {
    const room = '!unknown-lease:localhost';
    // b journals the room's first message and is stuck handling it (never acknowledges it).
    const b = await join({ slow: async (event) => { if (event.room_id === room) await new Promise(() => undefined); } });
    const a = await join();
    const first = makeEvent(room);
    await b.inbox.accept('u1', parseTransaction({ events: [first] }));
    await waitFor(() => b.inbox.holds(room), 5_000, 'b leased the room');
    // a reads the journal past that item (not its room) ...
    const other = makeEvent('!other:localhost');
    await a.inbox.accept('u2', parseTransaction({ events: [other] }));
    await waitFor(() => a.seen.includes(other.event_id), 5_000, 'a handled its own room');
    // ... then the database says a holds the room (as after a claim whose answer was lost).
    const { leases } = a.store.postgres!.tables;
    await a.store.postgres!.query(`UPDATE ${leases} SET owner = $1 WHERE key = $2`, [a.inbox.processId, room]);
    // A newer message of the room wakes a (its holder in the database) to read the journal.
    const second = makeEvent(room);
    await b.inbox.accept('u3', parseTransaction({ events: [second] }));
    await waitFor(() => a.seen.includes(second.event_id), 10_000, 'a handled the newer message');
    assert.deepEqual(a.seen.filter((id) => id === first.event_id || id === second.event_id), [first.event_id, second.event_id],
      'the older message first: the lane was loaded whole, not begun at what the wake-up read');
  });
});
