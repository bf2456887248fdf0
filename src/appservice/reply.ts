import type { Context } from 'koa';
import type { MatrixHttpError } from './errors.js';

/** Answers a spec error through Koa: its status, `{errcode, error, …}` and its headers (`Retry-After`). */
export function answerError(ctx: Context, error: MatrixHttpError): void {
  ctx.status = error.status;
  ctx.body = error.body;
  const headers = error.extra.headers;
  if (headers) for (const name in headers) ctx.set(name, headers[name]!);
}
