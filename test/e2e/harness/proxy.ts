import { createServer, request, type IncomingMessage, type Server } from 'node:http';

/** One transaction (or other request) Synapse pushed through the proxy, and what it was answered. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** The txnId of a `PUT …/transactions/{txnId}`. */
  readonly txnId?: string;
  readonly body: Record<string, unknown>;
  readonly status: number;
  /** What the bridge answered (undefined when the proxy answered without asking it). */
  readonly bridgeStatus?: number;
  readonly at: number;
}

const TXN = /\/transactions\/([^/?]+)/;

/**
 * Sits on an appservice's registered port between Synapse and the bridge (which then
 * listens elsewhere): forwards everything, records it, and can answer a transaction 500
 * after the bridge has taken it — the case where the bridge did its work and the answer
 * was lost, so Synapse retries the same txnId.
 */
export class TransactionProxy {
  readonly requests: ProxiedRequest[] = [];
  private failures: Array<(body: Record<string, unknown>) => boolean> = [];

  private constructor(private readonly server: Server, private readonly target: () => string) {}

  static async start(port: number, target: () => string): Promise<TransactionProxy> {
    let self: TransactionProxy | undefined;
    const server = createServer((req, res) => {
      void self!.handle(req).then(({ status, text }) => {
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    self = new TransactionProxy(server, target);
    return self;
  }

  /** The next transaction whose body matches `match` is forwarded, then answered 500. */
  failNextAfterForwarding(match: (body: Record<string, unknown>) => boolean = () => true): void {
    this.failures.push(match);
  }

  /** Transactions only (PUT …/transactions/{txnId}). */
  transactions(): ProxiedRequest[] {
    return this.requests.filter((r) => r.txnId !== undefined);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; text: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    let body: Record<string, unknown> = {};
    try {
      body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) as Record<string, unknown> : {};
    } catch { /* recorded as empty; the bridge answers the bad body itself */ }
    const path = req.url ?? '/';
    const txnId = TXN.exec(path)?.[1];
    let forwarded: { status: number; text: string };
    try {
      forwarded = await forward(this.target(), req, raw);
    } catch {
      forwarded = { status: 502, text: '{"errcode":"M_UNKNOWN","error":"the bridge is not answering"}' };
    }
    const failIndex = txnId === undefined ? -1 : this.failures.findIndex((match) => match(body));
    const answer = failIndex >= 0 ? { status: 500, text: '{"errcode":"M_UNKNOWN","error":"failed on purpose by the test proxy"}' } : forwarded;
    if (failIndex >= 0) this.failures.splice(failIndex, 1);
    this.requests.push({ method: req.method ?? 'GET', path, txnId: txnId === undefined ? undefined : decodeURIComponent(txnId), body, status: answer.status, bridgeStatus: forwarded.status, at: Date.now() });
    return answer;
  }
}

function forward(base: string, req: IncomingMessage, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, 'content-length': String(body.length) };
    delete headers.host;
    const out = request(new URL(req.url ?? '/', base), { method: req.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}
