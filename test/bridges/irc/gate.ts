/**
 * A TCP gate in front of the IRC server for the bridge only: while closed, new
 * connections are refused (as by a server that is down). Lets a test reconnect its own
 * IRC people first after a server restart, so they are there to see what the bridge
 * sends once it is back.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class Gate {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(readonly port: number, private readonly target: number) {}

  static async open(target: number): Promise<Gate> {
    const probe = createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    }));
    const gate = new Gate(port, target);
    await gate.open();
    return gate;
  }

  async open(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** Stops accepting (refused connections); open ones are left as they are. */
  async close(): Promise<void> {
    // server.close() stops listening at once; its callback would wait for open connections.
    this.server?.close();
    this.server = undefined;
  }

  async shutdown(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await this.close();
  }
}
