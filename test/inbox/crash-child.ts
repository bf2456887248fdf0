/**
 * A child process for the crash test: the real endpoint and inbox on a Level store, with a
 * handler that counts each event it handles in the store through the unit of work.
 * argv: <storePath> <port> [drain]
 */
import { Inbox } from '../../src/inbox/index.js';
import { Store } from '../../src/store/index.js';
import { createLogger } from '../../src/log/logger.js';
import { serveOrDrain } from '../helpers/crash-child.js';

const [storePath, portArg, mode] = process.argv.slice(2);
const logger = createLogger({ level: 'warn' });
const store = await Store.open(storePath!);
const counts = store.section<number>('test.handled');
const inbox = await Inbox.open(store, async (item, ctx) => {
  if (item.kind !== 'event') return;
  await new Promise((r) => setImmediate(r)); // let the flood and the handlers interleave
  const id = item.event.event_id;
  ctx.work.put(counts, id, ((await counts.get(id)) ?? 0) + 1);
}, { concurrency: 8 }, logger);
await serveOrDrain({ store, inbox, logger, mode, port: Number(portArg) });
