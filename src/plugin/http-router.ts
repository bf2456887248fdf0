import { Router } from '@koa/router';
import type Koa from 'koa';
import { readJsonBody } from '../appservice/body.js';
import type { PluginHttp, PluginRouteHandler } from './http.js';

const BODY_LIMIT = 1024 * 1024;

function flat(record: Record<string, string | string[] | undefined>): Record<string, string> {
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

  route(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, handler: PluginRouteHandler): void {
    const register = { GET: this.router.get, POST: this.router.post, PUT: this.router.put, DELETE: this.router.delete }[method];
    register.call(this.router, path, async (ctx) => {
      const hasBody = method !== 'GET' && (Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '');
      const body = hasBody ? (await readJsonBody(ctx, BODY_LIMIT)).value : undefined;
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
