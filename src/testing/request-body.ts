import type { Context } from 'koa';
import type { z } from 'zod';
import { badJson, MatrixError, missingParam, notJson } from './errors.js';

/** Synapse's default `max_upload_size`, also the limit of any request body here. */
export const MAX_BODY_BYTES = 50 * 1024 * 1024;

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
    // A required top-level key that is absent: Synapse's assert_params_in_dict says M_MISSING_PARAM.
    const key = issue?.path.length === 1 ? issue.path[0] : undefined;
    if (typeof key === 'string' && isRecord(raw) && !(key in raw)) throw missingParam(`Missing params: ['${key}']`);
    throw badJson(`${where}${issue?.message ?? 'invalid body'}`);
  }
  return parsed.data;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
