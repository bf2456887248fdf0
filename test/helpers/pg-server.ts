import { randomBytes } from 'node:crypto';
import { startPgCluster, type PgCluster } from './pg-cluster.js';

/**
 * A PostgreSQL server for one describe block: the matrix's (`BRIDGEKIT_TEST_STORE_URL`)
 * when the suite runs on one, else a throwaway cluster of its own, stopped after.
 * `schema()` names a fresh schema per test store.
 */
export function usePgServer(): { readonly url: () => string; readonly schema: () => string } {
  let cluster: PgCluster | undefined;
  let url: string | undefined = process.env['BRIDGEKIT_TEST_STORE_URL'];
  before(async function () {
    this.timeout(120_000);
    if (url === undefined) {
      cluster = await startPgCluster();
      url = cluster.url;
    }
  });
  after(async () => {
    await cluster?.stop();
  });
  return {
    url: () => url!,
    schema: () => `s_${randomBytes(8).toString('hex')}`,
  };
}
