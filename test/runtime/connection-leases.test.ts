import assert from 'node:assert/strict';
import type { BridgePlugin, PluginContext } from '../../src/plugin/contract.js';
import { SharedInbox } from '../../src/cluster/index.js';
import { TestBridge } from '../../src/testing/index.js';
import { waitFor } from '../helpers/net.js';
import { usePgServer } from '../helpers/pg-server.js';
import { joinCluster, type ClusterMember } from '../cluster/member.js';

/** A plugin that runs one connection under `ctx.leases` and records what happens to it. */
function leasingPlugin(log: string[]): BridgePlugin {
  return {
    name: 'leasing',
    capabilities: { messages: true },
    async start(ctx: PluginContext) {
      log.push('plugin start');
      ctx.leases.run('bot', { start: () => { log.push('connection start'); }, stop: () => { log.push('connection stop'); } });
      log.push('plugin start done');
    },
    async stop() { log.push('plugin stop'); },
  };
}

describe('runtime: ctx.leases in the bridge', function () {
  this.timeout(60_000);

  it('one process: the connection starts at once and stops before the plugin does', async () => {
    const log: string[] = [];
    const t = await TestBridge.start(leasingPlugin(log));
    // `npm run test:cluster` runs this bridge in cluster mode: the lease is taken a moment later there.
    if (t.bridge.inbox instanceof SharedInbox) await waitFor(() => log.length === 3, 10_000, 'the lease');
    else assert.deepEqual(log, ['plugin start', 'connection start', 'plugin start done']);
    await t.stop();
    assert.deepEqual(log.slice(3), ['connection stop', 'plugin stop']);
  });

  describe('cluster mode', () => {
    const pg = usePgServer();
    let other: ClusterMember | undefined;
    afterEach(async () => { await other?.stop(); other = undefined; });

    it('leases conn:<plugin>:<key> to the bridge process, and hands it over when the bridge stops', async () => {
      const schema = pg.schema();
      const log: string[] = [];
      const t = await TestBridge.start(leasingPlugin(log), {
        config: { store: { url: pg.url(), schema }, cluster: { enabled: true, leaseTtlSeconds: 2, pollSeconds: 0.2 } },
      });
      await waitFor(() => log.includes('connection start'), 10_000, 'the connection to start');
      const db = t.bridge.store.postgres!;
      // The bridge's own schema (\`npm run test:cluster\` gives every test bridge one).
      const schemaInUse = db.tables.schema;
      const rows = await db.query<{ key: string; owner: string }>(`SELECT key, owner FROM ${db.tables.leases}`, []);
      const processId = (await db.query<{ id: string }>(`SELECT id FROM ${db.tables.processes}`, []))[0]!.id;
      assert.deepEqual(rows, [{ key: 'conn:leasing:bot', owner: processId }]);

      // Another process wants the same connection: it waits while the bridge holds it.
      other = await joinCluster(pg.url(), schemaInUse);
      let elsewhere = 0;
      other.leases.forPlugin('leasing').run('bot', { start: () => { elsewhere++; }, stop: () => undefined });
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(elsewhere, 0);
      await t.stop();
      assert.deepEqual(log.slice(-2), ['connection stop', 'plugin stop']);
      await waitFor(() => elsewhere === 1, 10_000, 'the other process to start it');
      assert.deepEqual(other.leases.holding, ['conn:leasing:bot']);
    });
  });
});
