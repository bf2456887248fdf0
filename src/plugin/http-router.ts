import { Router } from '@koa/router';
import type Koa from 'koa';
import { readJsonBody } from '../appservice/body.js';
import { MatrixHttpError } from '../appservice/errors.js';
import type { PluginHttp, PluginRouteHandler, PluginRouteOptions } from './http.js';

const BODY_LIMIT = 1024 * 1024;

/** A query's values, the first of each repeated key. */
export function flat(record: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) if (v !== undefined) out[k] = Array.isArray(v) ? v[0] ?? '' : v;
  return out;
}

/**
 * A plugin's routes under `/bridge/<name>`, on the bridge's listener. Errors use the same
 * `{errcode, error}` bodies as the rest (the app's error boundary answers them).
 */
export class PluginRouter implements PluginHttp {
  private readonly router: Router;

  constructor(pluginName: string, publicUrl: string | null) {
    this.router = new Router({ prefix: `/bridge/${pluginName}` });
    this.baseUrl = `${(publicUrl ?? '').replace(/\/+$/, '')}/bridge/${pluginName}`;
  }

  readonly baseUrl: string;

  route(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, handler: PluginRouteHandler, options: PluginRouteOptions = {}): void {
    const register = { GET: this.router.get, POST: this.router.post, PUT: this.router.put, DELETE: this.router.delete }[method];
    const limit = options.maxBodyBytes ?? BODY_LIMIT;
    register.call(this.router, path, async (ctx) => {
      const hasBody = method !== 'GET' && (Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '');
      let body: unknown;
      try {
        body = hasBody ? (await readJsonBody(ctx, limit)).value : undefined;
      } catch (err) {
        if (!(err instanceof MatrixHttpError)) throw err;
        // Answered here, not by the error boundary, which logs the URL: a plugin's path may
        // carry its caller's secret (a webhook URL).
        ctx.status = err.status;
        ctx.body = err.body;
        return;
      }
      const res = await handler({
        method,
        params: ctx['params'] as Record<string, string>,
        query: flat(ctx.query),
        headers: ctx.headers as Record<string, string | undefined>,
        body,
      });
      ctx.status = res.status;
      ctx.body = res.body ?? {};
      for (const [name, value] of Object.entries(res.headers ?? {})) ctx.set(name, value);
    });
  }

  middleware(): Koa.Middleware[] {
    return [this.router.routes() as Koa.Middleware, this.router.allowedMethods() as Koa.Middleware];
  }
}
