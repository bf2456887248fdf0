import assert from 'node:assert/strict';
import { RoomCaches, SharedInbox, importSharedJournal } from '../../src/cluster/index.js';
import { Inbox, type ItemHandler } from '../../src/inbox/index.js';
import { Store } from '../../src/store/index.js';
import { parseTransaction } from '../../src/events/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { makeEvent } from '../helpers/events.js';
import { waitFor } from '../helpers/net.js';
import { usePgServer } from '../helpers/pg-server.js';

/** A handler that records event ids and, while `stuck`, never finishes (the items stay unhandled). */
function recorder(): { handler: ItemHandler; seen: string[]; gate: { stuck: boolean } } {
  const seen: string[] = [];
  const gate = { stuck: false };
  return {
    seen, gate,
    handler: async (item) => {
      if (item.kind !== 'event') return;
      if (gate.stuck) await new Promise(() => undefined);
      seen.push(item.event.event_id);
    },
  };
}

describe('cluster: switching cluster mode on and off loses nothing', function () {
  this.timeout(60_000);
  const pg = usePgServer();
  const cluster = (url: string) => ({ url, leaseTtlMs: 2_000, heartbeatMs: 500, pollMs: 200 });
  const room = '!switch:localhost';
  const txn = (n: number) => ({ txnId: `t${n}`, events: Array.from({ length: 5 }, () => makeEvent(room)) });

  it('a one-process bridge handles what a cluster left unhandled, once', async () => {
    const schema = pg.schema();
    const before = recorder();
    before.gate.stuck = true;
    let store = await Store.openPostgres(pg.url(), { schema, shared: true });
    const shared = await SharedInbox.open(store, before.handler, {}, cluster(pg.url()), new RoomCaches(), silentLogger());
    await shared.start();
    const sent = [txn(1), txn(2)];
    for (const { txnId, events } of sent) await shared.accept(txnId, parseTransaction({ events }));
    await shared.stop(50);
    await shared.close();
    await store.close();

    store = await Store.openPostgres(pg.url(), { schema });
    const after = recorder();
    const inbox = await Inbox.open(store, after.handler, {}, silentLogger());
    try {
      await inbox.start();
      assert.equal(await importSharedJournal(store, inbox, silentLogger()), 10);
      await inbox.drained();
      assert.deepEqual(after.seen, sent.flatMap((t) => t.events.map((e) => e.event_id)), 'every item, in order');
      // Imported twice (a crash before the rows were marked): nothing new.
      assert.equal(await importSharedJournal(store, inbox, silentLogger()), 0);
      const again = await inbox.accept('t1', parseTransaction({ events: sent[0]!.events }));
      assert.equal(again.duplicates, 5, 'the dedupe window knows the imported ids');
    } finally {
      await inbox.stop(0);
      await store.close();
    }
  });

  it('a cluster handles what a one-process run left journaled, once', async () => {
    const schema = pg.schema();
    const before = recorder();
    before.gate.stuck = true;
    let store = await Store.openPostgres(pg.url(), { schema });
    const inbox = await Inbox.open(store, before.handler, {}, silentLogger());
    await inbox.start();
    const sent = [txn(1), txn(2)];
    for (const { txnId, events } of sent) await inbox.accept(txnId, parseTransaction({ events }));
    await inbox.stop(50);
    await store.close();

    store = await Store.openPostgres(pg.url(), { schema, shared: true });
    const after = recorder();
    const shared = await SharedInbox.open(store, after.handler, {}, cluster(pg.url()), new RoomCaches(), silentLogger());
    try {
      await shared.start();
      const all = sent.flatMap((t) => t.events.map((e) => e.event_id));
      await waitFor(() => after.seen.length === all.length, 10_000, 'every item handled');
      assert.deepEqual(after.seen, all, 'every item, in order');
      let records = 0;
      for await (const _ of store.section('inbox.journal').keys()) records++;
      assert.equal(records, 0, 'the one-process journal is empty');
      assert.equal((await shared.accept('t2', parseTransaction({ events: sent[1]!.events }))).duplicates, 5);
    } finally {
      await shared.stop(0);
      await shared.close();
      await store.close();
    }
  });
});
