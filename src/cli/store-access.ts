import { Store, StoreOpenError, type StoreConfig } from '../store/index.js';
import { UsageError } from './output.js';

/** Level refuses a second opener of the same folder: the running bridge holds the lock. */
export function isStoreLocked(e: unknown): boolean {
  return e instanceof StoreOpenError && e.problem === 'locked';
}

/** Opens the store for a command that works on a stopped bridge's data. */
export async function openStoppedStore(config: StoreConfig): Promise<Store> {
  try {
    return await Store.openConfigured(config);
  } catch (e) {
    if (isStoreLocked(e)) throw new UsageError(`the store ${config.path ?? ''} is in use by a running bridge: stop it first`);
    if (e instanceof StoreOpenError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * Opens and closes the store once: when `run` finds its port taken, a store held by another
 * process is the better explanation (one line, StoreOpenError).
 */
export async function assertStoreOpens(config: StoreConfig): Promise<void> {
  const store = await Store.openConfigured(config);
  await store.close();
}
