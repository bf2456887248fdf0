import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registration } from '../../src/registration/index.js';
import { TestHomeserver, type TestHomeserverOptions } from '../../src/testing/index.js';
import { closeServer, readBody } from '../helpers/net.js';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
  readonly receivedAt: number;
}

/** What the fake appservice answers: a status and body, or nothing at all. */
export type Answer = { status: number; body?: unknown; delayMs?: number } | 'hang';

/**
 * A plain node:http appservice listener that records what the homeserver sends and
 * answers as the test scripts it (200 {} unless told otherwise).
 */
export class FakeAppservice {
  readonly requests: ReceivedRequest[] = [];
  answer: (request: ReceivedRequest) => Answer | Promise<Answer> = () => ({ status: 200, body: {} });

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<FakeAppservice> {
    let self: FakeAppservice | undefined;
    const server = createServer((req, res) => void self?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new FakeAppservice(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  /** PUT /transactions requests, in arrival order. */
  transactions(): Array<ReceivedRequest & { txnId: string; body: TransactionBody }> {
    return this.requests
      .filter((r) => r.method === 'PUT' && r.path.startsWith('/_matrix/app/v1/transactions/'))
      .map((r) => ({ ...r, txnId: decodeURIComponent(r.path.split('/').pop() ?? ''), body: r.body as TransactionBody }));
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = (await readBody(req)).toString('utf8');
    const request: ReceivedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: text === '' ? undefined : JSON.parse(text),
      receivedAt: Date.now(),
    };
    this.requests.push(request);
    const answer = await this.answer(request);
    if (answer === 'hang') return;
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body ?? {}));
  }
}

export interface TransactionBody {
  events: Array<Record<string, unknown>>;
  'de.sorunome.msc2409.ephemeral'?: Array<Record<string, unknown>>;
  'de.sorunome.msc2409.to_device'?: unknown[];
  ephemeral?: Array<Record<string, unknown>>;
}

/** A registration like the fixtures' testbridge: exclusive `@test_.*` users and `#test_.*` aliases. */
export function testRegistration(url: string | null): Registration {
  return {
    id: 'testbridge',
    url,
    as_token: 'as_token_for_tests',
    hs_token: 'hs_token_for_tests',
    sender_localpart: 'testbot',
    namespaces: {
      users: [{ regex: '@test_.*:localhost', exclusive: true }],
      aliases: [{ regex: '#test_.*:localhost', exclusive: true }],
      rooms: [],
    },
    rate_limited: false,
    receive_ephemeral: true,
    'de.sorunome.msc2409.push_ephemeral': true,
  };
}

/** A homeserver with the test registration pushing to a fresh fake appservice. */
export async function startWithAppservice(options: TestHomeserverOptions = {}): Promise<{ hs: TestHomeserver; as: FakeAppservice }> {
  const as = await FakeAppservice.start();
  const hs = await TestHomeserver.start({ appservice: testRegistration(as.url), retryBaseMs: 50, pushTimeoutMs: 2_000, ...options });
  return { hs, as };
}

/** Raw fetch against the homeserver, for asserting exact statuses and headers. */
export async function raw(url: string, method: string, token?: string, body?: unknown): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : JSON.parse(text) as Record<string, unknown> };
}
