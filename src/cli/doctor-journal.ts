import { access } from 'node:fs/promises';
import type { BridgeConfig } from '../config/index.js';
import { checkJournalIntegrity, describeLoss } from '../inbox/index.js';
import { Store, StoreOpenError } from '../store/index.js';
import { fail, pass, skip, type CheckResult } from './doctor-checks.js';

const NAME = 'journal intact';

/**
 * The journal against its high-water mark (kept beside the store, outside LevelDB): a
 * write-ahead log that lost acknowledged writes opens without a word, and this says so.
 */
export async function checkJournal(config: BridgeConfig): Promise<CheckResult> {
  const path = config.store.path;
  // PostgreSQL keeps what it committed (store.sync: true for a server crash too): no mark file to compare with.
  if (path === undefined) return skip(NAME, 'the store is PostgreSQL: its commits are durable on the server, there is no high-water mark file');
  try {
    await access(path);
  } catch {
    return skip(NAME, `${path} does not exist yet`);
  }
  let store: Store;
  try {
    store = await Store.open(path);
  } catch (e) {
    if (e instanceof StoreOpenError && e.problem === 'locked') {
      return skip(NAME, 'the running bridge holds the store; it checked the journal when it started (metric bridgekit_journal_lost_items)');
    }
    return skip(NAME, 'the store must open first');
  }
  try {
    const report = await checkJournalIntegrity(store);
    if (report.loss) {
      return fail(NAME, `${path}: ${describeLoss(report.loss)}`,
        'they cannot be recovered from this store (restore a backup taken after them if there is one); the bridge starts anyway and records the loss; set store.sync: true so that a machine crash cannot lose acknowledged transactions');
    }
    if (report.unreadable) {
      return { name: NAME, status: 'warn', detail: `${path}: the high-water mark cannot be read (${report.unreadable})`, advice: 'the bridge writes it again at its next transaction' };
    }
    if (report.earlier) {
      return {
        name: NAME, status: 'warn',
        detail: `${path}: ${report.earlier.items} item(s) answered 200 were found missing at a start on ${new Date(report.earlier.lastAt).toISOString()}`,
        advice: 'see docs/security.md, "Store integrity"; the journal is consistent since',
      };
    }
    const mark = report.mark === undefined ? 'no high-water mark yet (written after the first transaction)' : `high-water mark ${report.mark}`;
    return pass(NAME, `${path}: journal at sequence ${report.nextSeq}, ${mark}`);
  } finally {
    await store.close();
  }
}
