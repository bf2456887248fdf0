import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, readBody } from '../helpers/net.js';

/**
 * An HTTP proxy in front of the test homeserver that can lose answers: the request reaches
 * the homeserver and takes effect, then the connection is cut before the answer gets back,
 * as when the bridge dies (or the network breaks) mid-request.
 */
export class LossyProxy {
  /** Requests whose answers are lost, while it returns true. */
  loseAnswers: (method: string, path: string) => boolean = () => false;
  lost = 0;

  private constructor(private readonly server: Server, readonly url: string, private readonly target: string) {}

  static async start(target: string): Promise<LossyProxy> {
    let self: LossyProxy | undefined;
    const server = createServer((req, res) => void self?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new LossyProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, target);
    return self;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const received = await readBody(req);
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'accept']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const method = req.method ?? 'GET';
    const body = received.length > 0 ? received : undefined;
    const upstream = await fetch(`${this.target}${req.url ?? '/'}`, { method, headers, body });
    const answer = Buffer.from(await upstream.arrayBuffer());
    if (this.loseAnswers(method, (req.url ?? '').split('?')[0] ?? '')) {
      this.lost += 1;
      req.socket.destroy();
      return;
    }
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (name === 'content-type' || name === 'retry-after') out[name] = value;
    });
    res.writeHead(upstream.status, out);
    res.end(answer);
  }
}
