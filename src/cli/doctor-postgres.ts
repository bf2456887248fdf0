import { DEFAULT_SCHEMA, postgresStatus, redactUrl, Sections, Store, StoreOpenError, type StoreConfig } from '../store/index.js';
import { fail, pass, type CheckResult } from './doctor-checks.js';

const NAME = 'store writable';

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

/**
 * The PostgreSQL store: reachable, its schema migrated to what this bridgekit expects
 * (read only: doctor never migrates), and a write that lands. The URL is shown without
 * its password.
 */
export async function checkPostgresStore(config: StoreConfig & { readonly url?: string | undefined }): Promise<CheckResult> {
  const url = config.url!;
  const where = redactUrl(url);
  const schema = config.schema ?? DEFAULT_SCHEMA;
  let status;
  try {
    status = await postgresStatus(url, schema);
  } catch (e) {
    return fail(NAME, `${where}: cannot connect (${firstLine(e)})`, 'check store.url (host, port, user, password, database) and that PostgreSQL is running');
  }
  const about = `PostgreSQL ${status.serverVersion}, schema ${schema} at migration ${status.current} of ${status.latest}`;
  if (status.current > status.latest) {
    return fail(NAME, `${where}: ${about}: newer than this bridgekit`, 'run the bridgekit release that migrated it, or a newer one');
  }
  if (status.current < status.latest) {
    return fail(NAME, `${where}: ${about}: migrations pending`,
      `start the bridge (it applies them), or apply them now: bridgekit migrate --schema-only --to <store.url>`);
  }
  let store: Store;
  try {
    store = await Store.openConfigured(config);
  } catch (e) {
    if (e instanceof StoreOpenError && e.problem === 'locked') return pass(NAME, `${where} is held by the running bridge (${about}; not probed)`);
    return fail(NAME, `${where}: ${e instanceof StoreOpenError ? e.detail : firstLine(e)}`, e instanceof StoreOpenError ? e.advice : 'check store.url');
  }
  try {
    const probe = store.section<number>(Sections.doctorProbe);
    await probe.put('probe', Date.now());
    await probe.del('probe');
    return pass(NAME, `${where} (${about})`);
  } catch (e) {
    return fail(NAME, `${where}: a write failed (${firstLine(e)})`, 'check that the user may write the bridgekit tables');
  } finally {
    await store.close();
  }
}
