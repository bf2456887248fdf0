/**
 * A round-robin HTTP load balancer on 127.0.0.1, as nginx in front of several bridge
 * processes: each request goes to the next live backend, bodies streamed both ways. When a
 * backend's connection fails before it answers, the client gets 502 with a spec-shaped body
 * (the homeserver retries the same txnId) and the backend is left out for `downMs`. Tests
 * add and remove backends as processes come and go (a rolling restart).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BalancerOptions {
  /** How long a backend whose connection failed is left out of the rotation (default 500 ms). */
  readonly downMs?: number;
  /** The port to listen on (default: any free one), e.g. the one a homeserver's registration names. */
  readonly port?: number;
}

export interface BalancerStats {
  /** Requests answered by a backend, by backend URL. */
  readonly forwarded: Record<string, number>;
  /** Requests answered 502 (a backend's connection failed, or none was live). */
  readonly badGateway: number;
}

interface Backend { readonly url: URL; downUntil: number }

export class Balancer {
  private readonly backends: Backend[] = [];
  private next = 0;
  private readonly forwarded: Record<string, number> = {};
  private badGateway = 0;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  private constructor(private readonly server: http.Server, private readonly downMs: number) {}

  static async start(options: BalancerOptions = {}): Promise<Balancer> {
    let balancer: Balancer | undefined;
    const server = http.createServer((req, res) => balancer!.forward(req, res));
    balancer = new Balancer(server, options.downMs ?? 500);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port ?? 0, '127.0.0.1', () => resolve()));
    return balancer;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Puts a backend (`http://127.0.0.1:<port>`) into the rotation. */
  add(url: string): void {
    if (!this.backends.some((b) => b.url.href === new URL(url).href)) this.backends.push({ url: new URL(url), downUntil: 0 });
  }

  /** Takes a backend out of the rotation; requests already sent to it finish. */
  remove(url: string): void {
    const i = this.backends.findIndex((b) => b.url.href === new URL(url).href);
    if (i >= 0) this.backends.splice(i, 1);
  }

  get stats(): BalancerStats {
    return { forwarded: { ...this.forwarded }, badGateway: this.badGateway };
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next backend in turn that is not marked down; a down one only when all are. */
  private pick(): Backend | undefined {
    const now = Date.now();
    for (let i = 0; i < this.backends.length; i++) {
      const backend = this.backends[(this.next + i) % this.backends.length]!;
      if (backend.downUntil <= now) {
        this.next = (this.next + i + 1) % this.backends.length;
        return backend;
      }
    }
    return undefined;
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const backend = this.pick();
    if (!backend) {
      this.fail(res, 'no backend is up');
      req.resume();
      return;
    }
    const upstream = http.request({
      agent: this.agent, host: backend.url.hostname, port: backend.url.port, method: req.method, path: req.url,
      headers: { ...req.headers, host: backend.url.host },
    }, (answer) => {
      this.forwarded[backend.url.origin] = (this.forwarded[backend.url.origin] ?? 0) + 1;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      // Cut mid-body (the process died while answering): the client must see a broken answer, not a short one.
      answer.once('aborted', () => res.destroy());
      answer.once('error', () => res.destroy());
    });
    upstream.once('error', (err) => {
      backend.downUntil = Date.now() + this.downMs;
      if (res.headersSent) res.destroy();
      else this.fail(res, `backend ${backend.url.origin} failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
    });
    // The client gave up (the homeserver's push timeout): so does the request to the backend.
    res.once('close', () => { if (!res.writableFinished) upstream.destroy(); });
    req.pipe(upstream);
  }

  private fail(res: http.ServerResponse, why: string): void {
    this.badGateway++;
    const body = JSON.stringify({ errcode: 'M_UNKNOWN', error: `bad gateway: ${why}` });
    res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}
