/**
 * The test matrix's switch: imported first (`node --import`) by `npm run test:postgres`
 * into mocha and every node process the tests start, it makes `Store.open(path)` (a Level
 * folder) open a PostgreSQL store instead, at `BRIDGEKIT_TEST_STORE_URL`, in a schema named
 * after the folder: the same folder reopened (a restart, a child process) is the same data,
 * and every test store is its own. The tests themselves do not change.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { Store, type StoreOptions } from '../../src/store/index.js';

const url = process.env['BRIDGEKIT_TEST_STORE_URL'];

/** The schema a Level folder maps to: 63 bytes at most, a lowercase SQL name. */
export function schemaForPath(path: string): string {
  return `t_${createHash('sha256').update(resolve(path)).digest('hex').slice(0, 24)}`;
}

if (url !== undefined && process.env['BRIDGEKIT_TEST_STORE'] === 'postgres') {
  const openPostgres = Store.openPostgres.bind(Store);
  // Few connections per store: a test run opens hundreds of stores on one server.
  Store.open = (path: string, options: StoreOptions = {}) => openPostgres(url, { schema: schemaForPath(path), poolSize: 4, ...(options.sync !== undefined ? { sync: options.sync } : {}) });
}

/**
 * `npm run test:cluster`: every bridge a test starts through `TestBridge` runs in cluster
 * mode (the shared journal, leases, fenced writes) on its own schema, a process of a
 * cluster of one; the tests do not change.
 */
if (url !== undefined && process.env['BRIDGEKIT_TEST_STORE'] === 'cluster') {
  const { TestBridge } = await import('../../src/testing/index.js');
  const { randomBytes } = await import('node:crypto');
  const start = TestBridge.start.bind(TestBridge);
  TestBridge.start = (plugin, options = {}) => start(plugin, {
    ...options,
    config: {
      ...options.config,
      store: { url, schema: `c_${randomBytes(8).toString('hex')}`, poolSize: 4 },
      cluster: { enabled: true, leaseTtlSeconds: 2, ...options.config?.cluster },
    },
  });
}
