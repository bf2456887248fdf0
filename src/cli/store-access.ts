import { Store } from '../store/index.js';
import { UsageError } from './output.js';

/** Level refuses a second opener of the same folder: the running bridge holds the lock. */
export function isStoreLocked(e: unknown): boolean {
  const cause = (e as { cause?: { code?: string } }).cause;
  return (e as { code?: string }).code === 'LEVEL_DATABASE_NOT_OPEN' && cause?.code === 'LEVEL_LOCKED';
}

/** Opens the store for a command that works on a stopped bridge's data. */
export async function openStoppedStore(path: string): Promise<Store> {
  try {
    return await Store.open(path);
  } catch (e) {
    if (isStoreLocked(e)) throw new UsageError(`the store ${path} is in use by a running bridge: stop it first`);
    throw e;
  }
}
