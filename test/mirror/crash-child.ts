/**
 * A child process for the mirror's crash test: the real endpoint, inbox and mirror on a
 * Level store, composed as startBridge composes them (the mirror applies each event, with
 * the inbox's firstDelivery). argv: <storePath> <port> [drain]
 */
import { createAppserviceApp, listen } from '../../src/appservice/index.js';
import { Inbox } from '../../src/inbox/index.js';
import { Mirror } from '../../src/mirror/index.js';
import { Namespaces } from '../../src/registration/index.js';
import { Store } from '../../src/store/index.js';
import { createLogger } from '../../src/log/logger.js';
import { exitOnSignals } from '../../src/runtime/signals.js';
import { fixtureRegistration } from '../helpers/endpoint.js';

const [storePath, portArg, mode] = process.argv.slice(2);
const logger = createLogger({ level: 'warn' });
const store = await Store.open(storePath!);
// A small cache: rooms leave it and come back from disk during the flood.
const mirror = new Mirror({ store, logger, cacheRooms: 3 });
const inbox = await Inbox.open(store, async (item, ctx) => {
  if (item.kind !== 'event') return;
  await mirror.apply(item.event, { firstDelivery: ctx.firstDelivery });
}, { concurrency: 8 }, logger);
const resumed = await inbox.start();

if (mode === 'drain') {
  await inbox.drained();
  await inbox.stop();
  await mirror.close();
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
  await mirror.close();
  await store.close();
}, logger);
process.stdout.write(`ready ${server.port} resumed ${resumed}\n`);
