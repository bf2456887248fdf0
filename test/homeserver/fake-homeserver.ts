import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake homeserver received it. */
export interface Received {
  readonly method: string;
  /** The raw (still encoded) path, without query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  readonly at: number;
}

/** What to answer. `hang` never answers; `destroy` cuts the connection without a response. */
export interface Reply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** An object is sent as JSON, a string as it is. */
  readonly body?: unknown;
  readonly hang?: boolean;
  readonly destroy?: boolean;
}

export type Script = (request: Received, index: number) => Reply | Promise<Reply>;

/** Answers from a list in order; the last reply repeats. */
export function inOrder(...replies: Reply[]): Script {
  return (_request, index) => replies[Math.min(index, replies.length - 1)] ?? { status: 500 };
}

export const ok = (body: unknown = {}): Reply => ({ status: 200, body });
export const matrixError = (status: number, errcode: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Reply =>
  ({ status, headers, body: { errcode, error: `${errcode} from the fake`, ...extra } });

/** A scripted homeserver on 127.0.0.1 that records every request. */
export class FakeHomeserver {
  readonly received: Received[] = [];
  private readonly hanging = new Set<ServerResponse>();

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(script: Script): Promise<FakeHomeserver> {
    let fake: FakeHomeserver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const received: Received = {
          method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks), at: Date.now(),
        };
        const index = fake!.received.length;
        fake!.received.push(received);
        void Promise.resolve(script(received, index)).then((reply) => fake!.answer(res, reply));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeHomeserver(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  /** JSON body of request `index`. */
  json(index: number): unknown {
    const request = this.received[index];
    if (!request) throw new Error(`no request #${index}`);
    return JSON.parse(request.body.toString('utf8'));
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(res: ServerResponse, reply: Reply): void {
    if (reply.destroy) {
      res.socket?.destroy();
      return;
    }
    if (reply.hang) {
      this.hanging.add(res);
      return;
    }
    const isText = typeof reply.body === 'string';
    const body = reply.body === undefined ? '{}' : isText ? (reply.body as string) : JSON.stringify(reply.body);
    res.writeHead(reply.status ?? 200, { 'content-type': isText ? 'text/html' : 'application/json', ...reply.headers });
    res.end(body);
  }
}
