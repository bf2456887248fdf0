import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { answerClientErrors } from './client-error.js';

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  /** Stops accepting connections and waits for requests in progress to finish. */
  close(): Promise<void>;
}

/** Listens on `bind:port` (port 0 for any free one). */
export async function listen(app: Koa, bind: string, port: number): Promise<RunningServer> {
  const server = createServer(app.callback());
  // Homeservers keep connections alive between transactions.
  server.keepAliveTimeout = 65_000;
  answerClientErrors(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    port: address.port,
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => {
      // A homeserver that keeps sending (typing, presence) over a kept-alive connection
      // never lets it go idle for one call: close each as soon as it is between requests.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      server.close(() => {
        clearInterval(sweep);
        resolve();
      });
      server.closeIdleConnections();
    }),
  };
}
