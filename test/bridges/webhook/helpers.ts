import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonObject } from '../../../src/events/types.js';
import type { TestUser } from '../../../src/testing/index.js';
import { bodyOf, type BotHarness } from '../../bot/harness.js';

export const HOOK_PATH = /\/bridge\/webhook\/hooks\/[A-Za-z0-9_-]{43}/;

/** `!webhook create <name>`; returns the hook's absolute URL and its secret. */
export async function createHook(h: BotHarness, user: TestUser, roomId: string, name: string): Promise<{ url: string; secret: string; answer: string }> {
  const answer = bodyOf(await h.ask(user, roomId, `!webhook create ${name}`));
  const path = HOOK_PATH.exec(answer)?.[0];
  if (!path) throw new Error(`no hook URL in the answer: ${answer}`);
  return { url: `${h.bridge.url}${path}`, secret: path.split('/').pop() ?? '', answer };
}

export interface PostResult {
  readonly status: number;
  readonly json: JsonObject;
  readonly headers: Headers;
}

/** POSTs `body` (an object as JSON, a string as is). */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<PostResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : JSON.parse(text) as JsonObject, headers: res.headers };
}

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: JsonObject;
  readonly status: number;
  readonly at: number;
}

/**
 * An outbound target: records every request and answers with the next scripted status
 * (200 once the script is used up). A status may come with headers (e.g. Retry-After).
 */
export class Receiver {
  readonly requests: Received[] = [];
  private readonly script: Array<{ status: number; headers?: Record<string, string> }> = [];

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<Receiver> {
    let self: Receiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const next = self?.script.shift() ?? { status: 200 };
        self?.requests.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonObject, status: next.status, at: Date.now() });
        res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/incoming?token=t0ps3cret`);
    return self;
  }

  /** The next requests are answered with these statuses, in order. */
  answer(...statuses: Array<number | { status: number; headers?: Record<string, string> }>): void {
    for (const s of statuses) this.script.push(typeof s === 'number' ? { status: s } : s);
  }

  for(eventId: string): Received[] {
    return this.requests.filter((r) => r.body['id'] === eventId);
  }

  bodies(): string[] {
    return this.requests.map((r) => String(r.body['body']));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A tiny HTTP server handing out one PNG (an avatar to download). */
export async function imageServer(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  // 1x1 transparent PNG.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
    res.end(png);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/avatar.png`,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Whether `needle` appears in any key or value of the store, every section included. */
export async function storeContains(h: BotHarness, needle: string): Promise<boolean> {
  for await (const [key, value] of h.bridge.store.db.iterator()) {
    if (key.includes(needle) || JSON.stringify(value).includes(needle)) return true;
  }
  return false;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
