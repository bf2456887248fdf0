import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { ManagementRooms } from '../../src/bot/management-rooms.js';
import { silentLogger } from '../../src/log/logger.js';
import type { Puppet } from '../../src/puppets/index.js';
import { Sections } from '../../src/store/index.js';
import type { BridgeInfoKeeper } from '../../src/plugin/bridge-info/keeper.js';
import { StoredMappings } from '../../src/plugin/mappings.js';
import { Portals, type PortalsDeps } from '../../src/plugin/remote/portals.js';
import { RemoteRecords } from '../../src/plugin/remote/records.js';
import { Store } from '../../src/store/index.js';
import { usePgServer } from '../helpers/pg-server.js';

// Several processes on one store (issue #21): each "process" here is a Store of its own on
// the same database and schema, as `bridgekit run` opens it in cluster mode.

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cluster: named locks among the processes on one store (Store.withLock)', function () {
  this.timeout(60_000);
  const pg = usePgServer();
  const pair = async () => {
    const schema = pg.schema();
    return [await Store.openPostgres(pg.url(), { schema, shared: true }), await Store.openPostgres(pg.url(), { schema, shared: true })] as const;
  };

  it('one holder at a time per key across processes; other keys meanwhile; a throw lets it go', async () => {
    const [a, b] = await pair();
    try {
      const order: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => { release = resolve; });
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => { entered = resolve; });
      const first = a.withLock('portal:x', async () => { order.push('a in'); entered(); await gate; order.push('a out'); return 'a'; });
      await inside;
      const second = b.withLock('portal:x', async () => { order.push('b in'); return 'b'; });
      assert.equal(await b.withLock('portal:y', async () => 'another key'), 'another key');
      await pause(200);
      assert.deepEqual(order, ['a in'], 'b waits while a holds the key');
      release();
      assert.deepEqual(await Promise.all([first, second]), ['a', 'b']);
      assert.deepEqual(order, ['a in', 'a out', 'b in']);
      await assert.rejects(a.withLock('portal:x', async () => { throw new Error('boom'); }), /boom/);
      assert.equal(await b.withLock('portal:x', async () => 'after the throw'), 'after the throw');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a holder whose session dies (its process gone) lets the lock go', async () => {
    const [a, b] = await pair();
    const admin = new Pool({ connectionString: pg.url(), max: 1 });
    try {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => { release = resolve; });
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => { entered = resolve; });
      const stuck = a.withLock('management:@u:x', async () => { entered(); await gate; });
      await inside;
      const waiting = b.withLock('management:@u:x', async () => 'b got it');
      const { rows } = await admin.query<{ ended: boolean }>(
        `SELECT pg_terminate_backend(l.pid) AS ended FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted AND s.application_name = 'bridgekit-locks'`, []);
      assert.deepEqual(rows.map((r) => r.ended), [true], 'one session held it');
      assert.equal(await waiting, 'b got it');
      release();
      await stuck;
    } finally {
      await admin.end();
      await a.close();
      await b.close();
    }
  });

  it('two processes pushing a new channel at once make one portal', async () => {
    const [a, b] = await pair();
    try {
      const created: string[] = [];
      const portals = (store: Store, name: string) => new Portals({
        puppets: { bot: { createRoom: async () => { created.push(name); await pause(100); return `!portal-${name}:localhost`; } } },
        api: {}, mirror: { room: async () => undefined }, mappings: new StoredMappings(store.section('mappings')),
        ghosts: { alias: (id: string) => `#_test_${id}:localhost` }, records: new RemoteRecords(store), images: async () => 'mxc://x/y',
        logger: silentLogger(), bridgeInfo: { initialState: async () => [] } as unknown as BridgeInfoKeeper, locks: store,
      } as unknown as PortalsDeps);
      const channel = { id: 'chan', name: 'Channel' };
      const [fromA, fromB] = await Promise.all([portals(a, 'a').ensure(channel), portals(b, 'b').ensure(channel)]);
      assert.equal(created.length, 1, `one room created (${created.join(', ')})`);
      assert.equal(fromA, fromB);
      assert.equal(await new StoredMappings(a.section('mappings')).roomForChannel('chan'), fromA);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('two processes asked for a user\'s management room at once make one', async () => {
    const [a, b] = await pair();
    try {
      const created: string[] = [];
      const rooms = (store: Store, name: string) => new ManagementRooms({
        section: store.section<string>(Sections.botManagementRooms),
        bot: { userId: '@bot:localhost', createRoom: async () => { created.push(name); await pause(100); return `!manage-${name}:localhost`; } } as unknown as Puppet,
        mirror: { room: async () => undefined }, isControlled: () => false, logger: silentLogger(), locks: store,
      });
      const [fromA, fromB] = await Promise.all([rooms(a, 'a').managementRoom('@u:localhost'), rooms(b, 'b').managementRoom('@u:localhost')]);
      assert.equal(created.length, 1, `one room created (${created.join(', ')})`);
      assert.equal(fromA, fromB);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
