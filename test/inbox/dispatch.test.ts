import assert from 'node:assert/strict';
import { startEndpoint, putTransaction, type Endpoint } from '../helpers/endpoint.js';
import { makeEvent } from '../helpers/events.js';
import { waitFor } from '../helpers/net.js';
import type { InboundItem, RoomEvent } from '../../src/events/types.js';
import { Dispatcher } from '../../src/inbox/dispatcher.js';
import type { JournalEntry } from '../../src/inbox/entries.js';
import { silentLogger } from '../../src/log/logger.js';

const idsOf = (items: InboundItem[], roomId?: string) =>
  items.flatMap((i) => (i.kind === 'event' && (!roomId || i.event.room_id === roomId) ? [i.event.event_id] : []));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('inbox: dispatch order, retries and dead letters', () => {
  let endpoint: Endpoint | undefined;
  afterEach(async () => { await endpoint?.close(); endpoint = undefined; });

  it('keeps strict order within a room while rooms run concurrently', async () => {
    let running = 0;
    let maxRunning = 0;
    endpoint = await startEndpoint({
      handler: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(Math.random() * 3);
        running--;
      },
      inbox: { concurrency: 4 },
    });
    const rooms = ['!a:localhost', '!b:localhost', '!c:localhost', '!d:localhost', '!e:localhost'];
    const sent: RoomEvent[] = [];
    for (let t = 0; t < 10; t++) {
      const events = Array.from({ length: 20 }, (_, i) => makeEvent(rooms[(i + t) % rooms.length]!));
      sent.push(...events);
      assert.equal((await putTransaction(endpoint.url, `t${t}`, { events })).status, 200);
    }
    await endpoint.inbox.drained();
    for (const room of rooms) {
      assert.deepEqual(idsOf(endpoint.handled, room), sent.filter((e) => e.room_id === room).map((e) => e.event_id), room);
    }
    assert.ok(maxRunning > 1, 'rooms were handled concurrently');
    assert.ok(maxRunning <= 4, 'concurrency bound respected');
  });

  it('retries a failing handler with backoff while other rooms go on, then delivers once', async () => {
    const failures = new Map<string, number>();
    const stuck = makeEvent('!stuck:localhost');
    endpoint = await startEndpoint({
      handler: async (item, ctx) => {
        if (item.kind === 'event' && item.event.event_id === stuck.event_id && ctx.attempt < 3) {
          failures.set(stuck.event_id, ctx.attempt);
          throw new Error(`flaky ${ctx.attempt}`);
        }
      },
      inbox: { retryBaseMs: 40, retryMaxMs: 200, maxAttempts: 5 },
    });
    const later = makeEvent('!stuck:localhost');
    const other = makeEvent('!other:localhost');
    await putTransaction(endpoint.url, '1', { events: [stuck, later, other] });
    await waitFor(() => idsOf(endpoint!.handled).includes(other.event_id), 2_000, 'the other room');
    assert.ok(!idsOf(endpoint.handled).includes(later.event_id), 'the stuck room keeps its order');
    await endpoint.inbox.drained();
    assert.equal(failures.get(stuck.event_id), 2);
    assert.deepEqual(idsOf(endpoint.handled, '!stuck:localhost'), [stuck.event_id, later.event_id]);
  });

  it('moves an item that always fails to the dead letters, goes on, and replays it on request', async () => {
    let broken = true;
    const poison = makeEvent('!r:localhost', { content: { body: 'poison' } });
    endpoint = await startEndpoint({
      handler: async (item) => {
        if (broken && item.kind === 'event' && item.event.event_id === poison.event_id) throw new Error('cannot bridge this');
      },
      inbox: { maxAttempts: 3, retryBaseMs: 1, retryMaxMs: 2 },
    });
    const next = makeEvent('!r:localhost');
    await putTransaction(endpoint.url, '1', { events: [poison, next] });
    await endpoint.inbox.drained();
    assert.deepEqual(idsOf(endpoint.handled), [next.event_id]);
    const letters = await endpoint.inbox.deadLetters.list();
    assert.equal(letters.length, 1);
    assert.equal(letters[0]!.attempts, 3);
    assert.equal(letters[0]!.error, 'cannot bridge this');
    assert.equal(letters[0]!.item.kind === 'event' && letters[0]!.item.event.event_id, poison.event_id);

    broken = false;
    assert.equal(await endpoint.inbox.replayDeadLetters(), 1);
    await endpoint.inbox.drained();
    assert.deepEqual(idsOf(endpoint.handled), [next.event_id, poison.event_id]);
    assert.equal(await endpoint.inbox.deadLetters.count(), 0);
  });

  it('drops a dead letter for good', async () => {
    const poison = makeEvent('!r:localhost');
    endpoint = await startEndpoint({ handler: async () => { throw new Error('no'); }, inbox: { maxAttempts: 1 } });
    await putTransaction(endpoint.url, '1', { events: [poison] });
    await endpoint.inbox.drained();
    assert.equal(await endpoint.inbox.deadLetters.drop(), 1);
    assert.deepEqual(await endpoint.inbox.deadLetters.list(), []);
  });

  it('answers 503 with a spec error and Retry-After when the backlog is full, and 200 once it drains', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    endpoint = await startEndpoint({ handler: () => gate, inbox: { maxBacklog: 10 } });
    const first = Array.from({ length: 8 }, () => makeEvent('!r:localhost'));
    assert.equal((await putTransaction(endpoint.url, '1', { events: first })).status, 200);
    const second = Array.from({ length: 5 }, () => makeEvent('!r:localhost'));
    const refused = await putTransaction(endpoint.url, '2', { events: second });
    assert.equal(refused.status, 503);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    const body = (await refused.json()) as { errcode: string; error: string };
    assert.equal(body.errcode, 'M_LIMIT_EXCEEDED');
    assert.match(body.error, /waiting/);
    release();
    await endpoint.inbox.drained();
    assert.equal((await putTransaction(endpoint.url, '2', { events: second })).status, 200);
    await endpoint.inbox.drained();
    assert.equal(endpoint.handled.length, 13);
  });

  it('commits a handler\'s writes atomically with its acknowledgement', async () => {
    const events = [makeEvent('!r:localhost'), makeEvent('!r:localhost')];
    endpoint = await startEndpoint({
      handler: async (item, ctx) => {
        if (item.kind !== 'event') return;
        ctx.work.put(endpoint!.store.section<number>('test.effects'), item.event.event_id, ctx.attempt);
        if (item.event.event_id === events[1]!.event_id && ctx.attempt === 1) throw new Error('fail after writing');
      },
    });
    await putTransaction(endpoint.url, '1', { events });
    await endpoint.inbox.drained();
    const effects = endpoint.store.section<number>('test.effects');
    assert.equal(await effects.get(events[0]!.event_id), 1);
    assert.equal(await effects.get(events[1]!.event_id), 2, 'the failed attempt\'s write was discarded');
  });
});

describe('inbox: first deliveries', () => {
  it('marks first tries of fresh items as first deliveries, and retries, resumed and replayed items not', async () => {
    const seen: Array<[string, number, boolean]> = [];
    let failOnce = true;
    let poison = true;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const [fresh, flaky, dead, stuck] = ['!a:localhost', '!b:localhost', '!c:localhost', '!d:localhost'].map((r) => makeEvent(r));
    const first = await startEndpoint({
      inbox: { maxAttempts: 2, retryBaseMs: 1, retryMaxMs: 2 },
      handler: async (item, ctx) => {
        if (item.kind !== 'event') return;
        seen.push([item.event.event_id, ctx.attempt, ctx.firstDelivery]);
        if (item.event.event_id === flaky!.event_id && failOnce) { failOnce = false; throw new Error('once'); }
        if (item.event.event_id === dead!.event_id && poison) throw new Error('always');
        if (item.event.event_id === stuck!.event_id) await gate;
      },
    });
    await putTransaction(first.url, '1', { events: [fresh, flaky, dead, stuck] });
    await waitFor(() => seen.filter(([id]) => id === dead!.event_id).length === 2 && seen.some(([id]) => id === flaky!.event_id && true), 5_000);
    await waitFor(async () => (await first.inbox.deadLetters.count()) === 1, 5_000);
    await first.close(false); // `stuck` stays journaled
    release();
    poison = false;
    const second = await startEndpoint({
      storePath: first.storePath,
      handler: async (item, ctx) => { if (item.kind === 'event') seen.push([item.event.event_id, ctx.attempt, ctx.firstDelivery]); },
    });
    try {
      await second.inbox.drained();
      await second.inbox.replayDeadLetters();
      await second.inbox.drained();
      const of = (e: RoomEvent) => seen.filter(([id]) => id === e.event_id).map(([, attempt, firstDelivery]) => [attempt, firstDelivery]);
      assert.deepEqual(of(fresh!), [[1, true]]);
      assert.deepEqual(of(flaky!), [[1, true], [2, false]], 'a retry is not a first delivery');
      assert.deepEqual(of(dead!), [[1, true], [2, false], [1, false]], 'a replayed dead letter is not');
      assert.deepEqual(of(stuck!), [[1, true], [1, false]], 'an item resumed after a restart is not');
    } finally {
      await second.close();
    }
  });
});

describe('inbox: persistence across restarts', () => {
  it('resumes items journaled by a run that stopped before handling them, and still drops their redelivery', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const first = await startEndpoint({ handler: () => gate });
    const events = Array.from({ length: 30 }, (_, i) => makeEvent(`!room${i % 3}:localhost`));
    assert.equal((await putTransaction(first.url, '1', { events })).status, 200);
    await first.close(false); // handlers are stuck: their items stay journaled
    release();

    const second = await startEndpoint({ storePath: first.storePath });
    try {
      await second.inbox.drained();
      assert.equal(second.handled.length, 30);
      // The homeserver restarted too and sends the same events under txnId 1 again.
      assert.equal((await putTransaction(second.url, '1', { events })).status, 200);
      await second.inbox.drained();
      assert.equal(second.handled.length, 30, 'nothing handled twice');
    } finally {
      await second.close();
    }
  });
});

describe('inbox: the dispatcher\'s lanes', () => {
  const entryIn = (room: string, seq: number): JournalEntry => ({
    seq, txnId: 't', receivedAt: 0, item: { kind: 'event', event: makeEvent(room) },
  });

  it('reuses a room\'s lane across transactions and keeps at most 1,024 idle ones, in order throughout', async () => {
    const handled = new Map<string, number[]>();
    let settled = 0;
    const dispatcher = new Dispatcher(async (item) => {
      await Promise.resolve();
      if (item.kind !== 'event') return;
      const room = item.event.room_id;
      handled.set(room, [...(handled.get(room) ?? []), Number(item.event.content['n'])]);
    }, {
      done: async () => { settled++; },
      handled: () => { settled++; },
      dead: async () => { throw new Error('no item may fail here'); },
    }, { concurrency: 8, maxAttempts: 3, retryBaseMs: 1, retryMaxMs: 1 }, silentLogger());
    const lanes = () => (dispatcher as unknown as { lanes: Map<string, unknown> }).lanes.size;
    let pushed = 0;
    for (let round = 0; round < 3; round++) {
      // 3,000 rooms, one event each, like a transaction touching many rooms.
      for (let r = 0; r < 3_000; r++) {
        const entry = entryIn(`!room${r}:localhost`, pushed++);
        (entry.item as { event: RoomEvent }).event.content['n'] = round;
        dispatcher.push(entry);
      }
      await waitFor(() => settled === pushed, 5_000, `round ${round}`);
      assert.equal(dispatcher.activeLanes, 0);
      assert.ok(lanes() <= 1_024, `${lanes()} lanes kept after round ${round}`);
    }
    // One more event in a room whose lane is idle (kept or swept): still handled, after the others.
    dispatcher.push(entryIn('!room0:localhost', pushed++));
    await waitFor(() => settled === pushed, 2_000, 'the last event');
    assert.equal(handled.size, 3_000);
    for (const [room, rounds] of handled) assert.deepEqual(rounds.slice(0, 3), [0, 1, 2], room);
    assert.equal(handled.get('!room0:localhost')!.length, 4);
  });

  it('tells its observer of every attempt: how long the handler took and whether it threw', async () => {
    const attempts: Array<{ room: string; ms: number; failed: boolean }> = [];
    let settled = 0;
    const dispatcher = new Dispatcher(async (item, ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (item.kind === 'event' && item.event.room_id === '!flaky:localhost' && ctx.attempt === 1) throw new Error('flaky');
    }, {
      done: async () => { settled++; },
      handled: () => { settled++; },
      dead: async () => { throw new Error('no item may be dead-lettered here'); },
    }, { concurrency: 2, maxAttempts: 3, retryBaseMs: 1, retryMaxMs: 1 }, silentLogger(), (item, ms, failed) => {
      attempts.push({ room: item.kind === 'event' ? item.event.room_id : item.kind, ms, failed });
    });
    dispatcher.push(entryIn('!flaky:localhost', 0));
    dispatcher.push(entryIn('!fine:localhost', 1));
    await waitFor(() => settled === 2, 2_000, 'both handled');
    const of = (room: string) => attempts.filter((a) => a.room === room).map((a) => a.failed);
    assert.deepEqual(of('!flaky:localhost'), [true, false], 'the failed attempt, then the retry');
    assert.deepEqual(of('!fine:localhost'), [false]);
    for (const attempt of attempts) assert.ok(attempt.ms >= 4, `timed the handler (${attempt.ms} ms)`);
  });
});
