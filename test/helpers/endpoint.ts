import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { createAppserviceApp, listen, type QueryHandlers, type RunningServer } from '../../src/appservice/index.js';
import { Inbox, type InboxOptions, type ItemHandler } from '../../src/inbox/index.js';
import { Namespaces, validateRegistration, type Registration } from '../../src/registration/index.js';
import { Store } from '../../src/store/index.js';
import { silentLogger } from '../../src/log/logger.js';
import type { InboundItem } from '../../src/events/types.js';
import { synapseDir } from './fixtures.js';
import { tempDir } from './temp.js';

/** The registration Synapse 1.94 was captured with (its hs_token is in the captured headers). */
export function fixtureRegistration(): Registration {
  return validateRegistration(parse(readFileSync(resolve(synapseDir, 'appservice-testbridge.yaml'), 'utf8')), 'fixture');
}

export interface Endpoint {
  readonly url: string;
  readonly inbox: Inbox;
  readonly store: Store;
  readonly registration: Registration;
  /** Every item the handler finished, in the order it finished. */
  readonly handled: InboundItem[];
  /** Stops the server and the inbox, closes the store; keeps the directory unless `cleanup`. */
  close(cleanup?: boolean): Promise<void>;
  readonly storePath: string;
}

export interface EndpointOptions {
  handler?: ItemHandler;
  queryHandlers?: QueryHandlers;
  inbox?: Partial<InboxOptions>;
  maxBodyBytes?: number;
  storePath?: string;
  registration?: Registration;
}

/** A real endpoint on 127.0.0.1 with a real Level inbox in a temp directory. */
export async function startEndpoint(options: EndpointOptions = {}): Promise<Endpoint> {
  const dir = options.storePath ? undefined : await tempDir();
  const storePath = options.storePath ?? dir!.path;
  const store = await Store.open(storePath);
  const registration = options.registration ?? fixtureRegistration();
  const handled: InboundItem[] = [];
  const logger = silentLogger();
  const inbox = await Inbox.open(store, async (item, ctx) => {
    if (options.handler) await options.handler(item, ctx);
    handled.push(item);
  }, { retryBaseMs: 5, retryMaxMs: 20, ...options.inbox }, logger);
  const app = createAppserviceApp({
    registration,
    namespaces: new Namespaces(registration, 'localhost'),
    sink: inbox,
    handlers: options.queryHandlers ?? {},
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    logger,
  });
  await inbox.start();
  const server: RunningServer = await listen(app, '127.0.0.1', 0);
  return {
    url: server.url,
    inbox,
    store,
    registration,
    handled,
    storePath,
    async close(cleanup = true) {
      await server.close();
      await inbox.stop(1_000);
      await store.close();
      if (cleanup && dir) await dir.cleanup();
    },
  };
}

export const HS_TOKEN = '8d6358170e3fa0ef3863213a05649a4051fd56daef957a29ed7200b59b8881c5';

export async function putTransaction(url: string, txnId: string, body: unknown, token = HS_TOKEN): Promise<Response> {
  return fetch(`${url}/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
