import type { Context } from 'koa';
import type { z } from 'zod';
import { badJson, MatrixError, notJson } from './errors.js';

const MAX_BODY_BYTES = 50 * 1024 * 1024;

/** The request body as bytes (media uploads); refuses bodies over 50 MiB. */
export async function readRawBody(ctx: Context): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new MatrixError(413, 'M_TOO_LARGE', 'Request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The JSON body validated against `schema`: M_NOT_JSON when it does not parse,
 * M_BAD_JSON when it has the wrong shape. An empty body counts as `{}`.
 */
export async function readJson<S extends z.ZodType>(ctx: Context, schema: S): Promise<z.infer<S>> {
  const text = (await readRawBody(ctx)).toString('utf8');
  let raw: unknown = {};
  if (text.trim() !== '') {
    try {
      raw = JSON.parse(text);
    } catch {
      throw notJson('Content not JSON.');
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw badJson(`${where}${issue?.message ?? 'invalid body'}`);
  }
  return parsed.data;
}
