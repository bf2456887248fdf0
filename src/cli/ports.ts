import { createServer } from 'node:net';
import type { BridgeConfig } from '../config/index.js';
import { UsageError } from './output.js';

/** A socket the bridge listens on, and the config key that sets it. */
interface Listener {
  readonly key: 'appservice.port' | 'metrics.port';
  readonly bind: string;
  readonly port: number;
}

function listenersOf(config: BridgeConfig): Listener[] {
  const listeners: Listener[] = [{ key: 'appservice.port', bind: config.appservice.bind, port: config.appservice.port }];
  if (config.metrics.enabled) listeners.push({ key: 'metrics.port', bind: config.metrics.bind, port: config.metrics.port });
  return listeners.filter((l) => l.port !== 0);
}

/** What to tell a person whose listener cannot be opened; undefined for other errors. */
export function portProblem(err: unknown, config: BridgeConfig): UsageError | undefined {
  const e = err as { code?: string; port?: number };
  if (e.code !== 'EADDRINUSE' && e.code !== 'EACCES' && e.code !== 'EADDRNOTAVAIL') return undefined;
  const listener = listenersOf(config).find((l) => l.port === e.port) ?? listenersOf(config)[0]!;
  const where = `${listener.bind}:${listener.port} (${listener.key}${config.configFile ? ` in ${config.configFile}` : ''})`;
  const problem = e.code === 'EADDRINUSE'
    ? `port ${listener.port} is already in use, on ${where}: stop what listens there, or set ${listener.key} to a free port`
    : e.code === 'EACCES'
      ? `not allowed to listen on ${where}: ports below 1024 need privileges; set ${listener.key} to a port above 1024`
      : `cannot listen on ${where}: ${listener.bind} is not an address of this machine; fix the bind address`;
  return new UsageError(`bridgekit run: ${problem}`);
}

function tryListen(listener: Listener): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { port: listener.port })));
    server.listen({ host: listener.bind, port: listener.port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * Checks the bridge's ports before anything starts, so a port in use is one line and the
 * plugin never starts (nor logs that it is ready) behind it.
 */
export async function checkPortsFree(config: BridgeConfig): Promise<void> {
  for (const listener of listenersOf(config)) {
    try {
      await tryListen(listener);
    } catch (err) {
      throw portProblem(err, config) ?? err;
    }
  }
}
