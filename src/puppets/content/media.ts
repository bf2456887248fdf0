import type { JsonObject } from '../../events/types.js';
import { withExternalUrl, type ContentOptions, type MessageContent } from './text.js';

export type MediaKind = 'm.image' | 'm.file' | 'm.audio' | 'm.video';

/** The `info` of a media message; all optional, as in the spec. */
export interface MediaInfo {
  readonly mimetype?: string;
  /** Bytes. */
  readonly size?: number;
  /** Pixels (images, videos). */
  readonly w?: number;
  readonly h?: number;
  /** Milliseconds (audio, video). */
  readonly duration?: number;
  readonly thumbnailUrl?: string;
  readonly thumbnailInfo?: { readonly mimetype?: string; readonly size?: number; readonly w?: number; readonly h?: number };
}

export interface MediaMessage {
  readonly kind: MediaKind;
  /** The `mxc://` URI of the uploaded content. */
  readonly url: string;
  /** The file's name. */
  readonly filename: string;
  /** Text sent with the media; the file name is the body without one. */
  readonly caption?: string;
  /** An HTML caption (needs `caption` as its plain text). */
  readonly captionHtml?: string;
  readonly info?: MediaInfo;
}

/** The msgtype a MIME type is shown as: images, audio and video by their top type, anything else a file. */
export function mediaKindOf(mimetype: string): MediaKind {
  const top = mimetype.split('/')[0]?.toLowerCase();
  if (top === 'image') return 'm.image';
  if (top === 'audio') return 'm.audio';
  if (top === 'video') return 'm.video';
  return 'm.file';
}

/**
 * An `m.image`/`m.file`/`m.audio`/`m.video` content. With a caption, `body` is the caption
 * and `filename` the name (spec v1.10); without, `body` is the name.
 */
export function mediaContent(media: MediaMessage, options: ContentOptions = {}): MessageContent {
  const content: JsonObject & { msgtype: string; body: string } = {
    msgtype: media.kind,
    body: media.caption ?? media.filename,
    filename: media.filename,
    url: media.url,
  };
  if (media.caption !== undefined && media.captionHtml !== undefined) {
    content['format'] = 'org.matrix.custom.html';
    content['formatted_body'] = media.captionHtml;
  }
  const info = infoContent(media.info);
  if (info) content['info'] = info;
  return withExternalUrl(content, options);
}

function infoContent(info: MediaInfo | undefined): JsonObject | undefined {
  if (!info) return undefined;
  const out: JsonObject = {};
  if (info.mimetype !== undefined) out['mimetype'] = info.mimetype;
  if (info.size !== undefined) out['size'] = info.size;
  if (info.w !== undefined) out['w'] = info.w;
  if (info.h !== undefined) out['h'] = info.h;
  if (info.duration !== undefined) out['duration'] = info.duration;
  if (info.thumbnailUrl !== undefined) out['thumbnail_url'] = info.thumbnailUrl;
  if (info.thumbnailInfo !== undefined) out['thumbnail_info'] = { ...info.thumbnailInfo };
  return Object.keys(out).length > 0 ? out : undefined;
}
