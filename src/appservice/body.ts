import type { IncomingMessage } from 'node:http';
import type { Context } from 'koa';
import { bodyBuffer } from '../inbox/record.js';
import { notJson, tooLarge, badJson, requestAborted } from './errors.js';

/**
 * Reads the raw request body, refusing more than `limit` bytes (413) before buffering it.
 * Listeners rather than an async iterator: this runs for every transaction.
 */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (Number(req.headers['content-length'] || NaN) > limit) {
    req.resume(); // discard without buffering
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        req.resume();
        reject(tooLarge(limit));
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      stop();
      if (chunks.length === 1) return resolve(chunks[0]!);
      // Joined into a buffer with room for the journal record around it (see `bodyBuffer`).
      const body = bodyBuffer(size);
      let at = 0;
      for (const chunk of chunks) at += chunk.copy(body, at);
      resolve(body);
    };
    // An error on the request, or a close before 'end': the client went away mid-body.
    const onError = () => {
      stop();
      reject(requestAborted());
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onError);
  });
}

/** Parses a body as JSON (400 M_NOT_JSON when it is empty or not JSON). */
export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) throw notJson('the body is empty');
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (err) {
    throw notJson((err as Error).message);
  }
}

/** Reads and parses a Koa request's body (413, M_NOT_JSON); returns the value and the raw bytes. */
export async function readJsonBody(ctx: Context, limit: number): Promise<{ value: unknown; raw: Buffer }> {
  const raw = await readRequestBody(ctx.req, limit);
  return { value: parseJsonBody(raw), raw };
}

/** Requires a JSON object at the top level (M_BAD_JSON otherwise). */
export function requireJsonObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badJson('The body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
