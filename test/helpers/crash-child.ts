/**
 * What every crash-test child process does once its inbox is open: in `drain` mode, handles
 * what the journal holds and exits; otherwise serves the real endpoint on the port until a
 * signal. `closeMore` closes what the child added between the inbox and the store.
 */
import { createAppserviceApp, listen } from '../../src/appservice/index.js';
import type { Inbox } from '../../src/inbox/index.js';
import type { Logger } from '../../src/log/logger.js';
import { Namespaces } from '../../src/registration/index.js';
import type { Store } from '../../src/store/index.js';
import { exitOnSignals } from '../../src/runtime/signals.js';
import { fixtureRegistration } from './endpoint.js';

export interface CrashChild {
  readonly store: Store;
  readonly inbox: Inbox;
  readonly logger: Logger;
  readonly mode: string | undefined;
  readonly port: number;
  readonly closeMore?: () => Promise<void>;
}

export async function serveOrDrain({ store, inbox, logger, mode, port, closeMore }: CrashChild): Promise<void> {
  const resumed = await inbox.start();
  if (mode === 'drain') {
    await inbox.drained();
    await inbox.stop();
    await closeMore?.();
    await store.close();
    process.stdout.write('drained\n');
    process.exit(0);
  }
  const registration = fixtureRegistration();
  const app = createAppserviceApp({ registration, namespaces: new Namespaces(registration, 'localhost'), sink: inbox, logger });
  const server = await listen(app, '127.0.0.1', port);
  exitOnSignals(async () => {
    await server.close();
    await inbox.stop();
    await closeMore?.();
    await store.close();
  }, logger);
  process.stdout.write(`ready ${server.port} resumed ${resumed}\n`);
}
