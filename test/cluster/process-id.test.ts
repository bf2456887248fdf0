import assert from 'node:assert/strict';
import { Membership } from '../../src/cluster/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { Store } from '../../src/store/index.js';
import { usePgServer } from '../helpers/pg-server.js';

describe('cluster: a configured processId (cluster.processId)', function () {
  this.timeout(60_000);
  const pg = usePgServer();
  const stores: Store[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  });

  async function open(schema: string): Promise<Store> {
    const store = await Store.openPostgres(pg.url(), { schema, shared: true });
    stores.push(store);
    return store;
  }

  const hooks = { wake: () => undefined, fencedOut: () => undefined };
  const options = { leaseTtlMs: 300, heartbeatMs: 60_000, processId: 'bridge-a' };

  it('joins again after a crash left its row expired (nobody else there to reap it), and is refused while its row is alive', async () => {
    const schema = pg.schema();
    const crashed = await open(schema);
    // "kill -9": the membership's row stays; its heartbeat never runs again.
    const ghost = await Membership.join(crashed.postgres!, pg.url(), options, hooks, silentLogger());
    const db = crashed.postgres!;
    await db.query(`INSERT INTO ${db.tables.leases} (key, owner) VALUES ('!room:x', 'bridge-a')`, []);
    const restarted = await open(schema);
    await assert.rejects(Membership.join(restarted.postgres!, pg.url(), options, hooks, silentLogger()), /bridge-a.*is (already )?(a live member|in use)/);
    await new Promise((r) => setTimeout(r, 400));
    const member = await Membership.join(restarted.postgres!, pg.url(), options, hooks, silentLogger());
    assert.equal(member.id, 'bridge-a');
    const leases = await db.query(`SELECT key FROM ${db.tables.leases}`, []);
    assert.deepEqual(leases, [], 'the crashed run\'s leases went with its row');
    await member.leave();
    // The "crashed" one's wake-up session is still open in this process: it goes too (its row is gone already).
    await ghost.leave();
  });
});
