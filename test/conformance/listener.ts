import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntil } from '../../src/testing/index.js';

/** One transaction as the homeserver pushed it. */
export interface PushedTransaction {
  readonly txnId: string;
  readonly body: Record<string, unknown>;
}

type JsonRecord = Record<string, unknown>;

/**
 * A bare appservice endpoint: records every `PUT /_matrix/app/v1/transactions/{txnId}`
 * (checking the hs_token), answers `{}`, answers pings, and user and alias queries with 404.
 * No bridge logic, so what it records is exactly what the homeserver sent.
 */
export class AppserviceListener {
  private constructor(
    private readonly server: Server,
    readonly transactions: readonly PushedTransaction[],
    /** Every other request, as `METHOD /path` (user and alias queries, pings). */
    readonly queries: readonly string[],
  ) {}

  static async start(port: number, hsToken: string): Promise<AppserviceListener> {
    const transactions: PushedTransaction[] = [];
    const queries: string[] = [];
    const server = createServer((req, res) => {
      void readBody(req).then((text) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.headers.authorization !== `Bearer ${hsToken}`) return reply(403, { errcode: 'M_FORBIDDEN', error: 'bad hs_token' });
        const txn = /^\/_matrix\/app\/v1\/transactions\/([^/]+)$/.exec(url.pathname);
        if (req.method === 'PUT' && txn) {
          transactions.push({ txnId: decodeURIComponent(txn[1]!), body: JSON.parse(text || '{}') as JsonRecord });
          return reply(200, {});
        }
        queries.push(`${req.method} ${url.pathname}`);
        if (req.method === 'POST' && url.pathname === '/_matrix/app/v1/ping') return reply(200, {});
        return reply(404, { errcode: 'M_NOT_FOUND', error: 'nothing here' });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return new AppserviceListener(server, transactions, queries);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Every pushed room event, in order. */
  events(): JsonRecord[] {
    return this.transactions.flatMap((t) => (Array.isArray(t.body['events']) ? t.body['events'] as JsonRecord[] : []));
  }

  /** Every pushed ephemeral event under `key`. */
  ephemeral(key: string): JsonRecord[] {
    return this.transactions.flatMap((t) => (Array.isArray(t.body[key]) ? t.body[key] as JsonRecord[] : []));
  }

  /** Waits for a pushed room event matching `predicate`. */
  waitForEvent(predicate: (event: JsonRecord) => boolean, what: string, timeoutMs = 15_000): Promise<JsonRecord> {
    return waitFor(() => this.events().find(predicate), what, timeoutMs);
  }

  /** Waits for a pushed ephemeral event (under `key`) matching `predicate`. */
  waitForEphemeral(key: string, predicate: (event: JsonRecord) => boolean, what: string, timeoutMs = 15_000): Promise<JsonRecord> {
    return waitFor(() => this.ephemeral(key).find(predicate), what, timeoutMs);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function waitFor<T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
  return waitUntil(find, timeoutMs, `${what} to be pushed`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
