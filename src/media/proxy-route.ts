import { Router } from '@koa/router';
import type Koa from 'koa';
import type { Logger } from '../log/logger.js';
import { MatrixError, MediaTooLargeError, type HomeserverApi } from '../homeserver/index.js';
import { MEDIA_PATH, type MediaLinks } from './links.js';

/** Types a browser may show inline from the bridge's origin; anything else is a download. */
const INLINE = /^(image\/(png|jpeg|gif|webp|avif|bmp)|audio\/[\w.+-]+|video\/[\w.+-]+|text\/plain)(;|$)/i;

export interface MediaProxyOptions {
  readonly links: MediaLinks;
  readonly api: Pick<HomeserverApi, 'media'>;
  readonly maxBytes: number;
  readonly logger: Logger;
}

/**
 * `GET /_bridgekit/media/<server>/<mediaId>[/<filename>]?sig=…`: the media a `MediaLinks`
 * link names, downloaded as the appservice and passed on. Errors are `{errcode, error}`;
 * nothing is logged with the signature.
 */
export function mediaProxyRoutes(options: MediaProxyOptions): Koa.Middleware[] {
  const router = new Router();
  router.get(`${MEDIA_PATH}/:serverName/:mediaId{/:filename}`, async (ctx) => {
    const { serverName, mediaId, filename } = ctx['params'] as Record<string, string | undefined>;
    const sig = typeof ctx.query['sig'] === 'string' ? ctx.query['sig'] : '';
    const fail = (status: number, errcode: string, error: string) => {
      ctx.status = status;
      ctx.body = { errcode, error };
    };
    if (!serverName || !mediaId || !options.links.verify(serverName, mediaId, sig)) {
      return fail(403, 'M_FORBIDDEN', 'This link was not made by this bridge');
    }
    const mxc = `mxc://${serverName}/${mediaId}`;
    try {
      const media = await options.api.media.download(mxc, { maxBytes: options.maxBytes });
      const inline = INLINE.test(media.contentType);
      const name = filename ?? media.filename;
      ctx.status = 200;
      ctx.body = media.data;
      ctx.set('Content-Type', inline ? media.contentType : 'application/octet-stream');
      ctx.set('Content-Disposition', `${inline ? 'inline' : 'attachment'}${name ? `; filename*=UTF-8''${encodeURIComponent(name)}` : ''}`);
      // Content is immutable; it must never run as a page of the bridge's origin.
      ctx.set('Cache-Control', 'public, max-age=604800, immutable');
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
