import Router from '@koa/router';
import type { Context } from 'koa';
import type { HomeserverCore } from '../core.js';
import { notFound } from '../errors.js';
import { authenticate } from '../requester.js';
import { MAX_BODY_BYTES, readRawBody } from '../request-body.js';
import { param } from './common.js';

/** Upload into memory; download by `mxc://` parts (authenticated v1, and legacy v3 unless `legacyMedia` is off). */
export function mediaRoutes(core: HomeserverCore): Router {
  const router = new Router();

  router.post('/_matrix/media/v3/upload', async (ctx) => {
    authenticate(core, ctx);
    const filename = typeof ctx.query['filename'] === 'string' ? ctx.query['filename'] : undefined;
    const content = await readRawBody(ctx);
    const contentType = ctx.get('content-type') || 'application/octet-stream';
    ctx.body = { content_uri: core.media.put({ content, contentType, filename }) };
  });

  router.get('/_matrix/media/v3/config', (ctx) => {
    authenticate(core, ctx);
    ctx.body = { 'm.upload.size': MAX_BODY_BYTES };
  });

  const download = (ctx: Context) => {
    const media = core.media.get(param(ctx, 'serverName'), param(ctx, 'mediaId'));
    if (!media) throw notFound('Media not found');
    ctx.set('content-type', withCharset(media.contentType));
    if (media.filename !== undefined) ctx.set('content-disposition', `inline; filename=${encodeURIComponent(media.filename)}`);
    ctx.body = media.content;
  };
  router.get('/_matrix/client/v1/media/download/:serverName/:mediaId{/:fileName}', (ctx) => {
    authenticate(core, ctx);
    download(ctx);
  });
  router.get('/_matrix/media/v3/download/:serverName/:mediaId{/:fileName}', (ctx) => {
    // A homeserver that requires authenticated media answers as if the media did not exist.
    if (!core.settings.legacyMedia) throw notFound('Not found');
    download(ctx);
  });

  return router;
}

/** Synapse 1.94 serves text without a charset as UTF-8 and says so. */
function withCharset(contentType: string): string {
  return /^text\//i.test(contentType) && !/;\s*charset=/i.test(contentType) ? `${contentType}; charset=UTF-8` : contentType;
}
