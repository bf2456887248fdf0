/**
 * A child process for the store-opening tests. argv: <storePath> open|hold
 * `open`: tries Store.open and prints {problem, message} (or {opened: true}) as JSON.
 * `hold`: opens the store, prints "held", and keeps it open until killed.
 */
import { Store, StoreOpenError } from '../../src/store/index.js';

const [path, mode] = process.argv.slice(2);
try {
  const store = await Store.open(path!);
  if (mode === 'hold') {
    process.stdout.write('held\n');
    setInterval(() => {}, 60_000);
  } else {
    process.stdout.write(`${JSON.stringify({ opened: true })}\n`);
    await store.close();
  }
} catch (e) {
  const problem = e instanceof StoreOpenError ? e.problem : 'not a StoreOpenError';
  process.stdout.write(`${JSON.stringify({ problem, message: (e as Error).message })}\n`);
}
