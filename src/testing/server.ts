import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa, { type Context, type Next } from 'koa';
import type Router from '@koa/router';
import type { Logger } from '../log/logger.js';
import type { HomeserverCore } from './core.js';
import { MatrixError, unrecognized } from './errors.js';
import { accountRoutes } from './routes/account.js';
import { loginRoutes } from './routes/login.js';
import { appserviceRoutes } from './routes/appservice.js';
import { directoryRoutes } from './routes/directory.js';
import { ephemeralRoutes } from './routes/ephemeral.js';
import { eventRoutes } from './routes/events.js';
import { mediaRoutes } from './routes/media.js';
import { openIdRoutes } from './routes/openid.js';
import { profileRoutes } from './routes/profile.js';
import { roomRoutes } from './routes/rooms.js';

/** Turns thrown MatrixErrors (and anything else) into the spec's `{errcode, error}` bodies. */
function errorMiddleware(log: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw unrecognized();
      if (ctx.status === 405 && ctx.body === undefined) throw new MatrixError(405, 'M_UNRECOGNIZED', 'Unrecognized request');
    } catch (error) {
      const matrix = error instanceof MatrixError
        ? error
        : new MatrixError(500, 'M_UNKNOWN', error instanceof Error ? error.message : 'Internal error');
      if (!(error instanceof MatrixError)) log.warn({ err: error, path: ctx.path }, 'test homeserver: unexpected error');
      ctx.status = matrix.status;
      ctx.set(matrix.headers);
      ctx.body = matrix.toJSON();
    }
    log.debug({ method: ctx.method, path: ctx.path, status: ctx.status }, 'test homeserver request');
  };
}

export function buildApp(core: HomeserverCore): Koa {
  const app = new Koa();
  app.use(core.faults.recorder());
  app.use(errorMiddleware(core.log));
  app.use(core.faults.injector());
  const routers: Router[] = [
    accountRoutes(core), roomRoutes(core), eventRoutes(core), ephemeralRoutes(core),
    profileRoutes(core), directoryRoutes(core), mediaRoutes(core), appserviceRoutes(core), loginRoutes(core), openIdRoutes(core),
  ];
  for (const router of routers) app.use(router.routes()).use(router.allowedMethods());
  return app;
}

/** A listening HTTP server on 127.0.0.1, closable at once (open connections are cut). */
export class Listener {
  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(app: Koa, port: number): Promise<Listener> {
    const server = createServer(app.callback());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new Listener(server, (server.address() as AddressInfo).port);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
