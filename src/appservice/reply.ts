import type { ServerResponse } from 'node:http';
import type { MatrixHttpError } from './errors.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const EMPTY_OBJECT_HEADERS = { 'Content-Type': JSON_TYPE, 'Content-Length': '2' };

/**
 * Answers outside Koa with the bytes Koa would send for the same `ctx.body` object: the
 * same Content-Type, then any extra headers, then Content-Length, and compact JSON.
 */
export function sendJson(res: ServerResponse, status: number, body: object, headers?: Readonly<Record<string, string>>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': JSON_TYPE, ...headers, 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** 200 `{}`: the answer to every accepted transaction. */
export function sendEmptyObject(res: ServerResponse): void {
  res.writeHead(200, EMPTY_OBJECT_HEADERS);
  res.end('{}');
}

export function sendError(res: ServerResponse, error: MatrixHttpError): void {
  // The socket is gone, or an answer started: nothing more can be said.
  if (res.headersSent || res.destroyed) return;
  sendJson(res, error.status, error.body, error.extra.headers);
}
