/**
 * A child process for the mirror's crash test: the real endpoint, inbox and mirror on a
 * Level store, composed as startBridge composes them (the mirror applies each event, with
 * the inbox's firstDelivery). argv: <storePath> <port> [drain]
 */
import { Inbox } from '../../src/inbox/index.js';
import { Mirror } from '../../src/mirror/index.js';
import { Store } from '../../src/store/index.js';
import { createLogger } from '../../src/log/logger.js';
import { serveOrDrain } from '../helpers/crash-child.js';

const [storePath, portArg, mode] = process.argv.slice(2);
const logger = createLogger({ level: 'warn' });
const store = await Store.open(storePath!);
// A small cache: rooms leave it and come back from disk during the flood.
const mirror = new Mirror({ store, logger, cacheRooms: 3 });
const inbox = await Inbox.open(store, async (item, ctx) => {
  if (item.kind !== 'event') return;
  await mirror.apply(item.event, { firstDelivery: ctx.firstDelivery });
}, { concurrency: 8 }, logger);
await serveOrDrain({ store, inbox, logger, mode, port: Number(portArg), closeMore: () => mirror.close(), });
