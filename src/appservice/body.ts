import type { Context } from 'koa';
import { notJson, tooLarge, badJson } from './errors.js';

/**
 * Reads the raw request body, refusing more than `limit` bytes (413) before buffering it,
 * and parses it as JSON (400 M_NOT_JSON). Returns the parsed value and the raw bytes.
 */
export async function readJsonBody(ctx: Context, limit: number): Promise<{ value: unknown; raw: Buffer }> {
  const declared = Number(ctx.get('content-length') || NaN);
  if (declared > limit) {
    ctx.req.resume(); // discard without buffering
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      ctx.req.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  if (raw.length === 0) throw notJson('the body is empty');
  try {
    return { value: JSON.parse(raw.toString('utf8')) as unknown, raw };
  } catch (err) {
    throw notJson((err as Error).message);
  }
}

/** Requires a JSON object at the top level (M_BAD_JSON otherwise). */
export function requireJsonObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badJson('The body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
