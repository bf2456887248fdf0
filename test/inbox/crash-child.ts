/**
 * A child process for the crash test: the real endpoint and inbox on a Level store, with a
 * handler that counts each event it handles in the store through the unit of work.
 * argv: <storePath> <port> [drain]
 */
import { createAppserviceApp, listen } from '../../src/appservice/index.js';
import { Inbox } from '../../src/inbox/index.js';
import { Namespaces } from '../../src/registration/index.js';
import { Store } from '../../src/store/index.js';
import { createLogger } from '../../src/log/logger.js';
import { exitOnSignals } from '../../src/runtime/signals.js';
import { fixtureRegistration } from '../helpers/endpoint.js';

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
const resumed = await inbox.start();

if (mode === 'drain') {
  await inbox.drained();
  await inbox.stop();
  await store.close();
  process.stdout.write('drained\n');
  process.exit(0);
}

const registration = fixtureRegistration();
const app = createAppserviceApp({ registration, namespaces: new Namespaces(registration, 'localhost'), sink: inbox, logger });
const server = await listen(app, '127.0.0.1', Number(portArg));
exitOnSignals(async () => {
  await server.close();
  await inbox.stop();
  await store.close();
}, logger);
process.stdout.write(`ready ${server.port} resumed ${resumed}\n`);
