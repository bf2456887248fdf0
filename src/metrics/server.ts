import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/logger.js';
import type { Readiness } from './readiness.js';
import { loggablePath } from '../appservice/failure.js';

export interface MetricsServerOptions {
  readonly registry: Registry;
  readonly readiness: Readiness;
  readonly bind: string;
  /** 0 for any free port. */
  readonly port: number;
  readonly logger: Logger;
}

export interface MetricsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * The operator's listener, apart from the homeserver-facing one: `/metrics` (Prometheus
 * text), `/health` (the process is up) and `/ready` (store open, homeserver answering).
 */
export async function serveMetrics(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry, readiness, logger } = options;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'GET only' });
    if (path === '/metrics') {
      const text = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    } else if (path === '/health') {
      json(res, 200, { status: 'up' });
    } else if (path === '/ready') {
      const answer = await readiness.check();
      if (answer.ready) json(res, 200, { status: 'ready' });
      else json(res, 503, { status: 'not ready', reason: answer.reason });
    } else {
      json(res, 404, { error: 'not found: try /metrics, /health or /ready' });
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, path: loggablePath(req.url) }, 'metrics request failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
