import { Router } from '@koa/router';
import type { ReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type Koa from 'koa';
import type { Logger } from '../log/logger.js';
import { MatrixError, MediaTooLargeError } from '../homeserver/index.js';
import { MEDIA_PATH, type MediaLinks } from './links.js';
import type { MediaRelayCache } from './relay-cache.js';

/** Types a browser may show inline from the bridge's origin; anything else is a download. */
const INLINE = /^(image\/(png|jpeg|gif|webp|avif|bmp)|audio\/[\w.+-]+|video\/[\w.+-]+|text\/plain)(;|$)/i;

const DEFAULT_IDLE_MS = 30_000;

/** Longest a browser or proxy may cache an answer; never past the link's expiry. */
const MAX_CACHE_SECONDS = 7 * 24 * 3600;

export interface MediaProxyOptions {
  readonly links: MediaLinks;
  readonly relay: Pick<MediaRelayCache, 'open'>;
  readonly maxBytes: number;
  /** Requests served at once (downloading or streaming); more are answered 429. */
  readonly maxConcurrent: number;
  /** A reader that takes nothing for this long is cut off, so it cannot hold a slot forever (default 30 s). */
  readonly idleMs?: number;
  readonly logger: Logger;
}

/**
 * `GET /_bridgekit/media/<server>/<mediaId>[/<filename>]?exp=…&sig=…`: the media a
 * `MediaLinks` link names, downloaded as the appservice (once, however many ask at once)
 * and streamed on. Errors are `{errcode, error}`; nothing is logged with the signature.
 */
export function mediaProxyRoutes(options: MediaProxyOptions): Koa.Middleware[] {
  const router = new Router();
  let active = 0;
  router.get(`${MEDIA_PATH}/:serverName/:mediaId{/:filename}`, async (ctx) => {
    const { serverName, mediaId, filename } = ctx['params'] as Record<string, string | undefined>;
    const query = (name: string) => (typeof ctx.query[name] === 'string' ? ctx.query[name] : '');
    const fail = (status: number, errcode: string, error: string, extra: Record<string, unknown> = {}) => {
      ctx.status = status;
      ctx.body = { errcode, error, ...extra };
    };
    const verdict = serverName && mediaId
      ? options.links.verify({ serverName, mediaId, filename, exp: query('exp'), sig: query('sig') })
      : { ok: false as const, why: 'forged' as const };
    if (!verdict.ok) {
      return verdict.why === 'expired'
        ? fail(403, 'M_FORBIDDEN', 'This link has expired; ask for the media again where you found it')
        : fail(403, 'M_FORBIDDEN', 'This link was not made by this bridge');
    }
    if (active >= options.maxConcurrent) {
      ctx.set('Retry-After', '1');
      return fail(429, 'M_LIMIT_EXCEEDED', 'Too many media requests at once; try again shortly', { retry_after_ms: 1000 });
    }
    // Held until the answer is fully sent or the client goes away, not just until the handler returns.
    active++;
    let released = false;
    ctx.res.once('close', () => {
      if (!released) active--;
      released = true;
    });
    const mxc = `mxc://${serverName}/${mediaId}`;
    try {
      const { media, stream } = await options.relay.open(mxc);
      const inline = INLINE.test(media.contentType);
      const name = filename ?? media.filename;
      const maxAge = Math.max(0, Math.min(MAX_CACHE_SECONDS, Math.floor((verdict.expiresAt - Date.now()) / 1000)));
      ctx.status = 200;
      ctx.body = stream;
      cutOffWhenIdle(stream, ctx.res, options.idleMs ?? DEFAULT_IDLE_MS);
      ctx.length = media.size;
      ctx.set('Content-Type', inline ? media.contentType : 'application/octet-stream');
      ctx.set('Content-Disposition', `${inline ? 'inline' : 'attachment'}${name ? `; filename*=UTF-8''${encodeURIComponent(name)}` : ''}`);
      // Content is immutable; it must never run as a page of the bridge's origin.
      ctx.set('Cache-Control', `public, max-age=${maxAge}, immutable`);
      ctx.set('Content-Security-Policy', "sandbox; default-src 'none'");
      ctx.set('X-Content-Type-Options', 'nosniff');
    } catch (err) {
      if (err instanceof MatrixError && err.status === 404) return fail(404, 'M_NOT_FOUND', 'The homeserver has no such media');
      if (err instanceof MediaTooLargeError) return fail(502, 'M_TOO_LARGE', `The media is larger than this bridge relays (${options.maxBytes} bytes)`);
      options.logger.warn({ err, mxc }, 'media proxy: download failed');
      return fail(502, 'M_UNKNOWN', 'The media could not be fetched from the homeserver right now');
    }
  });
  return [router.routes() as Koa.Middleware, router.allowedMethods() as Koa.Middleware];
}

/**
 * Ends the answer when its reader has taken nothing for `idleMs` (the file stream waits on a
 * full socket): a client that opens links and stops reading would otherwise keep its slots.
 */
function cutOffWhenIdle(stream: ReadStream, res: ServerResponse, idleMs: number): void {
  let seen = -1;
  const check = setInterval(() => {
    if (stream.bytesRead === seen) res.destroy();
    seen = stream.bytesRead;
  }, idleMs);
  check.unref();
  res.once('close', () => clearInterval(check));
}
